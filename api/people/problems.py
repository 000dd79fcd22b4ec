from api.problems import problem

NationalIdInvalid = problem("national-id-invalid", 422, "The ID number does not match the person",
                            "Số CCCD không khớp với thông tin cá nhân")
NationalIdTaken = problem("national-id-taken", 409, "This ID number belongs to another person",
                          "Số CCCD này đã thuộc về người khác")
ProfileClaimable = problem("profile-claimable", 409,
                           "A guardian keeps a profile with this ID number: claim it",
                           "Người giám hộ đang quản lý hồ sơ có số CCCD này: hãy nhận lại hồ sơ")
DependantExists = problem("dependant-exists", 409, "This dependant is already on your list",
                          "Người phụ thuộc này đã có trong danh sách của bạn")
NotGuardian = problem("not-guardian", 403, "You do not manage this profile",
                      "Bạn không quản lý hồ sơ này")
ProfileMissing = problem("profile-missing", 409, "Fill in your own profile first",
                         "Hãy điền hồ sơ của bạn trước")
VersionMismatch = problem("version-mismatch", 412, "The profile changed since you opened it; reload it",
                          "Hồ sơ đã thay đổi kể từ khi bạn mở; hãy tải lại")
LastGuardian = problem("last-guardian", 409, "A dependant without an account needs at least one guardian",
                       "Người phụ thuộc chưa có tài khoản cần ít nhất một người giám hộ")
AlreadyGuardian = problem("already-guardian", 409, "That person already manages this profile",
                          "Người này đã quản lý hồ sơ")
QrInvalid = problem("qr-invalid", 422, "This is not a valid Sổ Sức Khỏe QR code",
                    "Đây không phải mã QR Sổ Sức Khỏe hợp lệ")
QrRevoked = problem("qr-revoked", 410, "This QR code was replaced; ask for the current one",
                    "Mã QR này đã bị thay thế; hãy dùng mã hiện tại")
OutOfScope = problem("out-of-scope", 403, "This person is outside your unit's scope",
                     "Người này nằm ngoài phạm vi của đơn vị bạn")
CccdQrInvalid = problem("cccd-qr-invalid", 422, "This is not the QR code of a chip ID card",
                        "Đây không phải mã QR của thẻ CCCD gắn chip")
ClaimInvalid = problem("claim-invalid", 422, "No claimable profile matches these details",
                       "Không có hồ sơ nào khớp để nhận lại")
