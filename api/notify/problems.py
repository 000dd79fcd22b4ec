from api.problems import problem

EmailCodeWrong = problem("email-code-wrong", 422, "The e-mail code is not right",
                         "Mã xác nhận e-mail không đúng")
EmailCodeExpired = problem("email-code-expired", 422,
                           "The e-mail code has expired or was used; ask for a new one",
                           "Mã xác nhận e-mail đã hết hạn hoặc đã được dùng; hãy yêu cầu mã mới")
NoEmailToVerify = problem("no-email-to-verify", 409, "There is no e-mail address waiting for a code",
                          "Không có địa chỉ e-mail nào đang chờ xác nhận")
PushUnavailable = problem("push-unavailable", 503, "Web Push is not configured on this server",
                          "Máy chủ chưa cấu hình thông báo đẩy (Web Push)")
CampaignOutOfScope = problem("campaign-out-of-scope", 403,
                             "This group is outside your unit's province",
                             "Nhóm người nhận nằm ngoài tỉnh/thành của đơn vị bạn")
CampaignTargetUnavailable = problem("campaign-target-unavailable", 422,
                                    "This kind of target group is not available yet",
                                    "Loại nhóm người nhận này chưa được hỗ trợ")
