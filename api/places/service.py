"""The official two-level codes from the `vietnam-provinces` package (no table of our own)."""
from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, ProvinceCode, Ward

from api.problems import ValidationFailed


@lru_cache(maxsize=1)
def provinces() -> tuple[dict, ...]:
    return tuple({"code": int(p.code), "name": p.name} for p in Province.iter_all())


@lru_cache(maxsize=64)
def wards(province_code: int) -> tuple[dict, ...]:
    return tuple({"code": int(w.code), "name": w.name}
                 for w in Ward.iter_by_province(ProvinceCode(province_code)))


@lru_cache(maxsize=4096)
def province_name(code: int) -> str:
    return Province.from_code(code).name


@lru_cache(maxsize=4096)
def ward_name(code: int) -> str:
    return Ward.from_code(code).name


def check_address(province_code: int | None, ward_code: int | None) -> None:
    """:raises ValidationFailed: an unknown province, or a ward outside the province."""
    if province_code is None:
        if ward_code is not None:
            raise ValidationFailed("A ward needs its province.", detail_vi="Phường/xã cần có tỉnh/thành.",
                                   errors={"address.province_code": ["Choose the province."]},
                                   errors_vi={"address.province_code": ["Hãy chọn tỉnh/thành."]})
        return
    try:
        ProvinceCode(province_code)
    except ValueError:
        raise ValidationFailed(f"Unknown province code {province_code}.",
                               detail_vi=f"Mã tỉnh/thành {province_code} không tồn tại.",
                               errors={"address.province_code": ["Unknown province code."]},
                               errors_vi={"address.province_code": ["Mã tỉnh/thành không tồn tại."]}) from None
    if ward_code is None:
        return
    try:
        ward = Ward.from_code(ward_code)
    except ValueError:
        ward = None
    if ward is None or int(ward.province_code) != province_code:
        raise ValidationFailed(f"Ward {ward_code} is not in province {province_code}.",
                               detail_vi=f"Phường/xã {ward_code} không thuộc tỉnh/thành {province_code}.",
                               errors={"address.ward_code": ["Not a ward of this province."]},
                               errors_vi={"address.ward_code": ["Không thuộc tỉnh/thành đã chọn."]})


def has_province(code: int) -> bool:
    try:
        ProvinceCode(code)
        return True
    except ValueError:
        return False
