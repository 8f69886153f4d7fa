# Статус заявки, прошедшей до конца (офис: `pull::applicant_status`). Нейтрально: ни подразделения, ни выводов.
intake-status-completed = завершена
