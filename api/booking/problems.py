"""Booking problems: what went wrong with a registration, a session or a booking."""
from api.problems import problem

SlotFull = problem("slot-full", 409, "This time slot is fully booked", "Khung giờ này đã hết chỗ")
SessionPast = problem("session-past", 409, "This session is over", "Buổi tiêm này đã kết thúc")
SessionCancelled = problem("session-cancelled", 409, "This session was cancelled", "Buổi tiêm này đã bị hủy")
SessionOutOfScope = problem("session-out-of-scope", 403, "This session is not at a site you were allocated to",
                            "Buổi tiêm này không thuộc điểm tiêm bạn được phân bổ")
NotEligible = problem("not-eligible", 422, "This dose cannot be given on that date",
                      "Không thể tiêm mũi này vào ngày đó")
AlreadyBooked = problem("already-booked", 409, "This person already has a booking for this dose",
                        "Người này đã có lịch hẹn cho mũi tiêm này")
RegistrationRequired = problem("registration-required", 409, "Register for vaccination first",
                               "Hãy đăng ký tiêm chủng trước")
RegistrationPending = problem("registration-pending", 409, "The registration is not approved yet",
                              "Đăng ký chưa được duyệt")
RegistrationCancelled = problem("registration-cancelled", 409, "The registration was cancelled or rejected",
                                "Đăng ký đã bị hủy hoặc bị từ chối")
RegistrationExists = problem("registration-exists", 409, "This person is already registered",
                             "Người này đã đăng ký")
RegistrationState = problem("registration-state", 409, "The registration is not in a state that allows this",
                            "Trạng thái đăng ký không cho phép thao tác này")
BookingNotActive = problem("booking-not-active", 409, "This booking is no longer active",
                           "Lịch hẹn này không còn hiệu lực")
ConfirmClosed = problem("confirm-closed", 409, "It is too late to confirm this booking",
                        "Đã quá hạn xác nhận lịch hẹn")
