"""Phone numbers to E.164 with Google's libphonenumber; Vietnamese national formats accepted."""
import phonenumbers

from api.auth.problems import InvalidPhone


def normalise_phone(text: str, *, field: str = "phone") -> str:
    """'0912 345 678', '+84912345678', '84912345678' → '+84912345678'.

    :raises InvalidPhone: not a number that can be dialled.
    """
    raw = (text or "").strip()
    if raw.startswith("84") and not raw.startswith("+"):
        raw = "+" + raw
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"'{text}' is not a valid phone number.",
                           detail_vi=f"'{text}' không phải số điện thoại hợp lệ.",
                           errors={field: ["Not a valid phone number (e.g. 0912 345 678)."]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_hint(e164: str | None) -> str:
    """What may be shown of someone else's number: the last three digits."""
    return f"•••{e164[-3:]}" if e164 else ""
