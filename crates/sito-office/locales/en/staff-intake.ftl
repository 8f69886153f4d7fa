# Staff side of intake: assisted intake, stored files, the applicant's message thread.
nav-assisted = Assisted intake
si-assisted-title = Assisted intake
si-assisted-intro = Enter an application taken on paper or by phone, for example at a prisoner-of-war camp. Ask the questions as they are written.
si-assisted-same-path = It is sealed to the office keys and filed on the intake exactly like an application from the public site; the applicant gets a codename for status and messages.
si-choose-category = Who is applying?
si-form-intro = The applicant's own answers. Write them as given; do not add your own judgement here.
si-applicant-language = Applicant's language (for status and replies)
si-language-ru = Russian
si-language-uk = Ukrainian
si-language-en = English
si-voluntary-hint = Tick only if the applicant said so in their own words, without a guard or another prisoner listening.
si-review-intro = Read the answers back to the applicant before sending. Attach the scanned or photographed documents here.
si-documents-hint = JPEG or PNG photos, or PDF; up to { $count } files of 4 MiB. Photos are re-encoded to remove hidden data; PDFs are kept quarantined.
si-send = Seal and send to the office
si-no-intake = This office is not connected to an intake, so nothing can be filed or sent. Start it with the intake (sito demo, or sito office --intake-url).
si-assisted-failed = The intake did not take it just now (unreachable or busy); nothing was filed. Try again in a minute.
si-done-title = Application filed
si-done-received = Sealed and filed with { $documents ->
    [0] no documents
    [one] one document
   *[other] { $documents } documents
} on
si-done-codename = The applicant's codename (shown only this once):
si-codename-once = Nobody can show this codename again, not even the office.
si-codename-advice-paper = Copy it by hand onto paper now, letter by letter, and read it back.
si-codename-advice-hand = Hand that paper only to the applicant, in person or through the channel agreed for them; never by phone, SMS or messenger.
si-codename-advice-no-copy = Keep no copy: no photo, no note, no file. Close this page when done.
si-codename-advice-use = With it the applicant checks their status and writes to the office on the intake site (Status page).
si-open-case = Open the case
si-another = Enter another application
history-assisted-intake = assisted intake (entered by staff)
si-file-link = File { $number }: { $type }, { $kib } KiB
si-file-quarantined = quarantined
si-files-title = Files
si-quarantine-title = Quarantined file
si-file-facts = { $type }, { $kib } KiB, not checked
si-quarantine-risk = This file was not decoded and re-encoded like a photo. A document like this can carry code that runs when it is opened, or give away the reader's machine to whoever sent it.
si-quarantine-offline = Open it only on an offline machine kept for this purpose, never on this computer or one with office data.
si-quarantine-viewer = Use a simple viewer; do not enable macros, scripts or links inside it.
si-quarantine-audited = The download is recorded in the audit log under your name.
si-quarantine-confirm = I understand the risk: download
si-back-to-case = Back to the case
si-messages-link = Messages with the applicant
si-thread-title = Messages: { $call_sign }
si-thread-intro = Messages from the applicant and the office's replies. Opening this page is recorded in the audit log.
si-thread-empty = No messages yet.
si-from-office = Office
si-from-applicant = Applicant
si-no-applicant = This case did not come through the intake, so there is no applicant holding a codename to write to.
si-reply-title = Reply
si-reply-label = Your reply to the applicant
si-reply-hint = Sealed so that only the applicant's codename opens it; the intake cannot read it. Never ask for or mention a real name here.
si-reply-send = Seal and send
si-reply-sent = The reply is sealed and waits on the intake for the applicant.
si-reply-invalid = The reply cannot be sent: { $problem }
si-reply-queued = The intake could not be reached just now: the reply is sealed and kept in the office, and the next pull delivers it.
si-already-filed = This application was already sealed and sent ({ $case }); nothing was filed again. Its codename was shown once, when it was filed.
