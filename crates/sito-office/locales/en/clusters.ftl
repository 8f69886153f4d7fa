# Link analysis: the security officer's cluster pages (issue 5).
nav-clusters = Linked groups
clusters-title = Linked applications
clusters-intro = Applications that share a phone, e-mail, messenger handle, document number, address or referrer. A group whose members share two or more kinds of key is flagged as possible coordinated infiltration: each active member gets a flag you confirm or dismiss on its case page. A flag is a lead, never a decision.
clusters-computed = Last analysis { $when } over { $count ->
    [one] { $count } application
   *[other] { $count } applications
}.
clusters-not-yet = The first analysis has not finished yet; reload in a few seconds.
clusters-not-running = Link analysis is not running in this office.
clusters-flagged = Flagged groups
clusters-empty = No group shares two or more kinds of key.
clusters-group = Group
clusters-size = Applications
clusters-kinds = Shared keys
clusters-members = Members
clusters-open = Open
clusters-unflagged = { $groups ->
    [one] { $groups } group
   *[other] { $groups } groups
} ({ $count } applications) in which no two applications share more than one kind of key: linked, not flagged. Open one to see how its members connect.
clusters-linked = Linked, not flagged
clusters-signals = Keys too common to link by
clusters-signals-intro = A key held by many applications (a public channel's handle, a hostel's address) is a signal, not a link: its holders are not grouped by it.
clusters-no-signals = None.
clusters-holders = held by { $count ->
    [one] { $count } application
   *[other] { $count } applications
}
cluster-title = Linked group of { $call_sign }
cluster-back-to-case = Back to the case
cluster-all-groups = All linked groups
cluster-none = This application shares no key with another application.
cluster-flagged = Possible coordinated group: some members share two or more kinds of key.
cluster-not-flagged = Linked by one kind of key only: not flagged.
cluster-graph = Graph
cluster-no-values = Lines name the kinds of key two applications share, never the values. To compare values, open a case and reveal its identity there (your reason is recorded in the audit log).
cluster-links = Links
cluster-application = Application
cluster-shared = Shared keys
cluster-resolve-hint = Confirm or dismiss each member's flag on its case page, with a reason.
cluster-case-link = Linked applications: see the group
link-kind-phone = phone
link-kind-email = e-mail
link-kind-handle = messenger handle
link-kind-document = document number
link-kind-address = address
link-kind-referrer = referrer
