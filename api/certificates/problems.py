from api.problems import problem

UvciInvalid = problem("uvci-invalid", 422, "This is not a valid certificate identifier (UVCI)",
                      "Đây không phải mã định danh chứng nhận (UVCI) hợp lệ")
SignerCertificateInvalid = problem("signer-certificate-invalid", 422,
                                   "This is not a document signer certificate we can use",
                                   "Chứng thư này không dùng được làm chứng thư ký văn bản")
SignerExists = problem("signer-exists", 409, "This signer certificate is already trusted",
                       "Chứng thư ký này đã có trong danh sách tin cậy")
OwnCountrySigner = problem("own-country-signer", 422,
                           "Our own signers come from the key store: rotate the key instead",
                           "Chứng thư ký trong nước do kho khóa cấp: hãy xoay vòng khóa")
NoCertificate = problem("no-certificate", 404, "There is no vaccination certificate for this person yet",
                        "Người này chưa có chứng nhận tiêm chủng")
