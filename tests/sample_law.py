"""A small, made-up Vietnamese law used by the ingestion and admin tests (2 chapters, 4 articles,
4 clauses, 2 points, a number, a date of entry into force and a reference inside the law)."""
LAW_NUMBER = "99/2024/QH15"
LAW_LINES = [
    "QUỐC HỘI",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    f"Luật số: {LAW_NUMBER}",
    "LUẬT",
    "THỬ NGHIỆM CÔNG NGHỆ SỐ",
    "Căn cứ Hiến pháp nước Cộng hòa xã hội chủ nghĩa Việt Nam;",
    "Quốc hội ban hành Luật Thử nghiệm công nghệ số.",
    "Chương I",
    "NHỮNG QUY ĐỊNH CHUNG",
    "Điều 1. Phạm vi điều chỉnh",
    "Luật này quy định về thử nghiệm có kiểm soát sản phẩm, dịch vụ và mô hình kinh doanh ứng dụng công nghệ số.",
    "Điều 2. Điều kiện tham gia thử nghiệm",
    "1. Tổ chức tham gia thử nghiệm có kiểm soát phải đáp ứng các điều kiện sau đây:",
    "a) Có phương án thử nghiệm được Bộ Khoa học và Công nghệ chấp thuận;",
    "b) Có biện pháp bảo vệ quyền lợi của người dùng tham gia thử nghiệm.",
    "2. Cá nhân không được tham gia thử nghiệm với tư cách là tổ chức cung cấp dịch vụ.",
    "Chương II",
    "THỜI HẠN",
    "Điều 3. Thời hạn thử nghiệm có kiểm soát",
    ("1. Thời hạn thử nghiệm có kiểm soát sản phẩm công nghệ số không quá 24 tháng kể từ ngày được cấp "
     "giấy chứng nhận thử nghiệm."),
    "2. Thời hạn quy định tại khoản 1 Điều này được gia hạn một lần, không quá 12 tháng.",
    "Điều 4. Hiệu lực thi hành",
    "Luật này có hiệu lực thi hành từ ngày 01 tháng 01 năm 2026.",
]
LAW = "\n".join(LAW_LINES) + "\n"
