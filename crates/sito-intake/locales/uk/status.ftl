# Статус заявки, що пройшла до кінця (офіс: `pull::applicant_status`). Нейтрально: ні підрозділу, ні висновків.
intake-status-completed = завершена
