from api.problems import problem

InvalidPhone = problem("invalid-phone", 422, "Not a valid phone number", "Số điện thoại không hợp lệ")
CodeWrong = problem("code-wrong", 422, "The code is not right", "Mã xác thực không đúng")
CodeExpired = problem("code-expired", 422, "The code has expired or was used; ask for a new one",
                      "Mã đã hết hạn hoặc đã được dùng; hãy yêu cầu mã mới")
TooManyTries = problem("too-many-tries", 429, "Too many wrong codes; ask for a new one",
                       "Nhập sai quá nhiều lần; hãy yêu cầu mã mới")
RateLimited = problem("rate-limited", 429, "Too many codes requested; try again later",
                      "Yêu cầu mã quá nhiều lần; hãy thử lại sau")
PasskeyFailed = problem("passkey-failed", 422, "The passkey could not be verified",
                        "Không xác minh được khóa truy cập (passkey)")
PasskeyUnknown = problem("passkey-unknown", 401, "This passkey is not registered",
                         "Khóa truy cập này chưa được đăng ký")
CsrfFailed = problem("csrf-failed", 403, "Missing or wrong CSRF token; reload the page",
                     "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang")
PasskeyRequired = problem("passkey-required", 403, "Staff must sign in with a passkey",
                          "Nhân viên phải đăng nhập bằng khóa truy cập (passkey)")
AccountDisabled = problem("account-disabled", 403, "This account is disabled", "Tài khoản đã bị khóa")
