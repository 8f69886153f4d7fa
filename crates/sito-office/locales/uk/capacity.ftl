# Сторінка планування потужностей (crates/sito-web/src/capacity.rs).
nav-capacity = Потужності
capacity-title = Планування потужностей
capacity-intro = Моделювання конвеєра перевірки до рішення комісії. Типові значення оцінено за журналом подій офісу; змініть будь-яке, щоб запитати «що, якщо». Показано лише зведені показники.
capacity-errors = Моделювання не виконано:
capacity-estimates = Оцінка за журналом подій
capacity-window = Спостереження з { $from } по { $to }: отримано { $arrivals } { $arrivals ->
    [one] заяву
    [few] заяви
   *[many] заяв
}, { $rate } на день.
capacity-window-days = Вікно спостереження (дні)
capacity-hours-per-day = Робочих годин на день
capacity-arrivals-per-day = Заяв на день
capacity-days = Горизонт (дні)
capacity-warmup-days = Розігрів (дні)
capacity-seed = Зерно
capacity-stage = Етап
capacity-services = Спостережених обслуговувань
capacity-service-mean = Середнє обслуговування (робочі години)
capacity-shape = Розподіл
capacity-leave = Вибувають після етапу
capacity-visits = Відвідувань
capacity-servers = Співробітників
capacity-service-hours = Годин обслуговування
capacity-cases = { $count } { $count ->
    [one] справа
    [few] справи
   *[many] справ
}
capacity-outside-hours = { $count } поза робочим часом
capacity-left-of = { $left } з { $seen }
capacity-form-hint = Порожнє поле зберігає оцінку, показану сірим. Типово кількість співробітників — ті, хто передавав справи з етапу; час обслуговування оцінюється від моменту, коли співробітник міг почати роботу зі справою (надходження на етап або його попередня справа), до передачі справи далі, у робочих годинах.
capacity-solve = Скільки співробітників потрібно для цілі?
capacity-solve-stage = Етап для підбору
capacity-solve-none = (не підбирати)
capacity-target-days = Цільовий середній час до рішення (дні)
capacity-run = Запустити моделювання
capacity-results = Результати моделювання
capacity-decided-per-day = Рішень на день
capacity-time-to-decision = Час до рішення (дні)
capacity-ttd-values = середнє { $mean }, медіана { $p50 }, 90% не довше { $p90 }
capacity-nothing-decided = за горизонт немає рішень
capacity-backlog-at-end = Черга наприкінці
capacity-arrived-left = Надійшло / вибуло на день
capacity-bottleneck = Вузьке місце
capacity-utilisation = Завантаження
capacity-queue-mean = Середня черга
capacity-wait-days = Середнє очікування (дні)
capacity-chart-title = оцінка за журналом подій
capacity-shape-lognormal = логнормальний, cv { $cv }
capacity-shape-exponential = експоненційний
capacity-error-range = { $field }: введіть число від { $min } до { $max }.
capacity-error-target-missing = Введіть цільовий середній час до рішення в днях, щоб підібрати кількість співробітників.
capacity-error-unknown-stage = Етап для підбору не входить до модельованих етапів.
capacity-error-warmup = Розігрів має бути коротшим за горизонт.
capacity-error-no-arrivals = За вікно спостереження не отримано жодної заяви: введіть кількість заяв на день.
capacity-error-no-services = { $stage }: за вікно немає спостережених обслуговувань: введіть середню кількість годин обслуговування.
capacity-error-too-large = Горизонт × заяв на день — не більше { $limit }: скоротіть горизонт.
capacity-solved = { $servers } співр. на етапі «{ $stage }» дають середній час до рішення { $mean } дн. (ціль { $target }); на одного менше — { $fewer } дн. Результати нижче — для цього складу.
capacity-unreachable = Жоден склад цього етапу до { $servers } співробітників не досягає цілі: найкраще середнє — { $mean } дн. Межу задають інші етапи або робочі години.
capacity-hours-note = Робочий день за журналом: 95% із { $moves } дій співробітників припали на { $hours } год з { $from } до { $to } UTC; час обслуговування рахується лише в ці години.
