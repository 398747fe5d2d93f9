"""The complaint form's answer readers: one answer to one question, typed as on WhatsApp.

Plain functions over text (no Rasa): each reader says whether the citizen's text answers a
particular question and with which value, in Indonesian, WhatsApp slang and Banjar Hulu
("kadada foto", "anonim", "inggih", "au", "jadi ai", "maaf salah, lokasinya di desa Halong").
A reader that cannot find an answer returns ``None``; the form then decides whether the
message was a question of its own (a digression) or a miss.
"""
