# Страница планирования мощностей (crates/sito-web/src/capacity.rs).
nav-capacity = Мощности
capacity-title = Планирование мощностей
capacity-intro = Моделирование конвейера проверки до решения комиссии. Значения по умолчанию оценены по журналу событий офиса; измените любое, чтобы спросить «что, если». Показываются только сводные показатели.
capacity-errors = Моделирование не выполнено:
capacity-estimates = Оценка по журналу событий
capacity-window = Наблюдение с { $from } по { $to }: получено { $arrivals } { $arrivals ->
    [one] заявление
    [few] заявления
   *[many] заявлений
}, { $rate } в день.
capacity-window-days = Окно наблюдения (дни)
capacity-hours-per-day = Рабочих часов в день
capacity-arrivals-per-day = Заявлений в день
capacity-days = Горизонт (дни)
capacity-warmup-days = Разогрев (дни)
capacity-seed = Зерно
capacity-stage = Этап
capacity-services = Наблюдаемых обслуживаний
capacity-service-mean = Среднее обслуживание (рабочие часы)
capacity-shape = Распределение
capacity-leave = Выбывают после этапа
capacity-visits = Посещений
capacity-servers = Сотрудников
capacity-service-hours = Часов обслуживания
capacity-cases = { $count } { $count ->
    [one] дело
    [few] дела
   *[many] дел
}
capacity-outside-hours = { $count } вне рабочего времени
capacity-left-of = { $left } из { $seen }
capacity-form-hint = Пустое поле сохраняет оценку, показанную серым. По умолчанию число сотрудников — те, кто передавал дела с этапа; время обслуживания оценивается от момента, когда сотрудник мог начать работу с делом (поступление на этап или его предыдущее дело), до передачи дела дальше, в рабочих часах.
capacity-solve = Сколько сотрудников нужно для цели?
capacity-solve-stage = Этап для подбора
capacity-solve-none = (не подбирать)
capacity-target-days = Целевое среднее время до решения (дни)
capacity-run = Запустить моделирование
capacity-results = Результаты моделирования
capacity-decided-per-day = Решений в день
capacity-time-to-decision = Время до решения (дни)
capacity-ttd-values = среднее { $mean }, медиана { $p50 }, 90% не дольше { $p90 }
capacity-nothing-decided = за горизонт нет решений
capacity-backlog-at-end = Очередь в конце
capacity-arrived-left = Поступило / выбыло в день
capacity-bottleneck = Узкое место
capacity-utilisation = Загрузка
capacity-queue-mean = Средняя очередь
capacity-wait-days = Среднее ожидание (дни)
capacity-chart-title = оценка по журналу событий
capacity-shape-lognormal = логнормальное, cv { $cv }
capacity-shape-exponential = экспоненциальное
capacity-error-range = { $field }: введите число от { $min } до { $max }.
capacity-error-target-missing = Введите целевое среднее время до решения в днях, чтобы подобрать число сотрудников.
capacity-error-unknown-stage = Этап для подбора не входит в моделируемые этапы.
capacity-error-warmup = Разогрев должен быть короче горизонта.
capacity-error-no-arrivals = За окно наблюдения не получено ни одного заявления: введите число заявлений в день.
capacity-error-no-services = { $stage }: за окно нет наблюдаемых обслуживаний: введите среднее число часов обслуживания.
capacity-error-too-large = Горизонт × заявлений в день — не более { $limit }: сократите горизонт.
capacity-solved = { $servers } сотр. на этапе «{ $stage }» дают среднее время до решения { $mean } дн. (цель { $target }); на одного меньше — { $fewer } дн. Результаты ниже — для этого состава.
capacity-unreachable = Никакой состав этого этапа до { $servers } сотрудников не достигает цели: лучшее среднее — { $mean } дн. Предел задают другие этапы или рабочие часы.
capacity-hours-note = Рабочий день по журналу: 95% из { $moves } действий сотрудников пришлись на { $hours } ч с { $from } до { $to } UTC; время обслуживания считается только в эти часы.
