"""English for Pulih's user-facing text. The source language (msgid) is Bahasa Indonesia."""

EN: dict[str, str] = {
    # api/errors.py, backend/errors.py
    "Wajib diisi.": "This field is required.",
    "Format atau tipe nilai tidak valid.": "Invalid format or type.",
    "Panjang nilai tidak sesuai.": "Invalid length.",
    "Nilai tidak valid.": "Invalid value.",
    "Data tidak valid.": "Invalid data.",
    "Autentikasi diperlukan atau token tidak berlaku.": "Authentication required, or the token is not valid.",
    "Data tidak ditemukan.": "Not found.",
    "Terjadi kesalahan pada server. Coba lagi nanti.": "Server error. Please try again later.",
    "Alamat tidak ditemukan.": "No such address.",
    "Permintaan tidak valid.": "Invalid request.",
    "Terjadi konflik dengan data yang ada.": "Conflicts with existing data.",
    "Anda tidak berwenang melakukan tindakan ini.": "You are not allowed to do this.",
    "Autentikasi diperlukan.": "Authentication required.",
    "Terlalu banyak percobaan. Coba lagi nanti.": "Too many attempts. Try again later.",
    "Nomor HP tidak valid.": "Invalid phone number.",
    "Gunakan format 08xx, 628xx atau +628xx.": "Use the format 08xx, 628xx or +628xx.",
    "Bahasa Indonesia": "Indonesian",
    "Inggris": "English",
}
