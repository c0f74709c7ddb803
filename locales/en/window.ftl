# The window's texts in English (ui/src/). locales/de/window.ftl has the
# same messages (ui/test/l10n.test.ts holds it to that); a text missing
# there is said in English. Names, subjects and numbers put in are shown
# as text, never as markup.

## Feed (ui/src/views/feed.ts)

kind-count = { $kind ->
    [missed_call] { $count ->
        [one] { $count } missed call
       *[other] { $count } missed calls
    }
    [new_ticket] { $count ->
        [one] { $count } new ticket
       *[other] { $count } new tickets
    }
    [conversation_reassigned] { $count ->
        [one] { $count } reassigned conversation
       *[other] { $count } reassigned conversations
    }
    [ticket_reassigned] { $count ->
        [one] { $count } reassigned ticket
       *[other] { $count } reassigned tickets
    }
    [agent_status] { $count ->
        [one] { $count } agent status change
       *[other] { $count } agent status changes
    }
   *[first_response_due] { $count ->
        [one] { $count } first response coming due
       *[other] { $count } first responses coming due
    }
}
feed-held-do-not-disturb = held during do-not-disturb
feed-held-quiet-hours = held during quiet hours
feed-held-on-call = held while you were on a call
feed-held-away = missed while you were away
away-do-not-disturb = While you were in do-not-disturb
away-quiet-hours = During quiet hours
away-on-call = While you were on a call
away-away = While you were away
feed-assign = Assign to me
feed-assign-named = Assign to me: { $title }
feed-call-back = Call back
feed-call-back-named = Call back { $number }
feed-remind = Remind me in { $minutes } min
feed-remind-named = Remind me in { $minutes } min: { $title }
feed-dismiss = Dismiss
feed-empty = No notifications yet.
feed-list = Recent notifications
feed-open = Open
feed-open-named = Open { $title }

## Board (ui/src/board.ts, ui/src/views/board.ts)

status-online = Online
status-busy = Busy / on a call
status-after-call-work = After-call work
status-offline = Offline
status-unknown = Status { $code }
status-stale = Unknown
status-stale-since = Unknown since { $when }
available-browser = Browser
available-mobile = Mobile
available-device = Device { $code }
team-unknown = a team not in the directory
agent-fallback-name = Agent { $id }
team-status-news = { $name } is now { $status }
in-status-just-now = just now
in-status-minutes = { $minutes } min
in-status-hours = { $hours } h
in-status-hours-minutes = { $hours } h { $minutes } min
in-status-days = { $days } d
board-search-field =
    .placeholder = Name, email or team
board-counts =
    .aria-label = Agents per status
board-empty = No agent matches.
board-search = Search
board-team = Team
board-status = Status
board-only-mine = Only my teams
board-table =
    .aria-label = Team board
board-col-agent = Agent
board-col-status = Status
board-col-available-on = Available on
board-col-teams = Teams
board-col-in-status = In status
board-count = { $status }: { $count }
board-team-unnamed = Team { $id }
board-all-teams = All teams
board-all-statuses = All statuses

## Accounts (ui/src/views/accounts.ts)

account-keyring-locked = Keyring locked or unavailable
account-secret-missing = No secret in the keyring: add the account again
account-connecting = Connecting
account-connected = Connected
account-reconnecting = Reconnecting at { $time }: { $reason }
account-sign-in-needed = Sign-in needed: the token or password was refused (Edit to enter a new one)
account-stopped = Stopped
accounts-demo-note = No account yet: the built-in demo is playing.
account-edit = Edit
account-edit-named = Edit { $name }
account-test = Test
account-test-named = Test { $name }
account-testing = Testing…
account-test-works-row = Connection works
account-test-works = Connection works.
account-remove = Remove
account-remove-named = Remove { $name }
account-last-event = last event { $time }
account-no-events = no events yet
account-kind-relay = Relay (Freshworks)
account-kind-invite = Relay, with an invitation code
account-kind-xelion = Xelion PBX
account-domains-example = support.acme.example (optional)
account-fallbacks-example = https://relay2.acme.example/ (optional)
account-add-heading = Add an account
account-add = Add
account-join = Join
account-save = Save
account-test-connection = Test connection
account-cancel = Cancel
account-tenant = Tenant
account-user = User
account-fallbacks = Other relays, tried in order when this one fails
account-domains = Helpdesk domains
account-kind = Kind
account-name = Name
account-url = URL
account-secret-token = Agent token
account-secret-password = Password
account-secret-invite = Invitation code, or the deskbell:// link
# $what: token, password or invite
account-secret-new = { $what ->
    [password] New password (empty keeps the stored one)
    [invite] New invitation code, or the deskbell:// link (empty keeps the stored one)
   *[token] New agent token (empty keeps the stored one)
}
account-test-invite = A code works once: Join spends it and connects.
account-test-needs-secret = { $what ->
    [password] Type the password first.
   *[token] Type the agent token first.
}

## Rules (ui/src/rules.ts, ui/src/views/rules.ts)

day-mon = Monday
day-tue = Tuesday
day-wed = Wednesday
day-thu = Thursday
day-fri = Friday
day-sat = Saturday
day-sun = Sunday
ticket-source = { $code ->
    [1] Email
    [2] Portal
    [3] Phone
    [5] Twitter
    [6] Facebook
    [7] Chat
    [8] Mobihelp
    [9] Feedback Widget
    [10] Outbound Email
   *[other] Source { $code }
}
ticket-status = { $code ->
    [2] Open
    [3] Pending
    [4] Resolved
    [5] Closed
   *[other] Status { $code }
}
ticket-priority = { $code ->
    [1] Low
    [2] Medium
    [3] High
    [4] Urgent
   *[other] Priority { $code }
}
rules-too-many = { $field }: at most { $max } entries
rules-bad-priority = the minimum priority is 1 (Low) to 4 (Urgent), not { $priority }
rules-bad-group = group ids are numbers, like 43000012345; "{ $group }" is not
rules-bad-type = a ticket type is 1 to { $max } characters; "{ $type }" is not
rules-bad-status = ticket status { $status } is not one Freshdesk has (2 Open, 3 Pending, 4 Resolved, 5 Closed, or a custom status's number)
rules-bad-source = ticket source { $source } is not one Freshdesk has
rules-bad-tag = a tag is 1 to { $max } characters without commas; "{ $tag }" is not
rules-bad-agent-id = an agent id is 1 to 64 characters without spaces or commas; "{ $id }" is not
rules-bad-email = "{ $email }" is not an email address
rules-bad-my-group = group ids are numbers, like 43000012345, or a Freshchat group's id, like 2f4c5e1a-0b3d-4e6f-8a9b-1c2d3e4f5a6b; "{ $group }" is neither
rules-bad-quiet-hours = quiet hours on { $day }: expected HH:MM-HH:MM, got "{ $range }"
# $product: freshdesk, freshcaller or freshchat
me-product-agent = { $product ->
    [freshdesk] Freshdesk
    [freshcaller] Freshcaller
   *[freshchat] Freshchat
} agent { $id }
group-unknown = a group not in the directory
me-you-are = You are { $emails }
me-groups = groups { $groups }
me-from-relay = From your relay: { $what }. A field left empty uses this; what you type overrides it.
kind-missed-call = Missed calls
kind-new-ticket = New tickets
kind-conversation-reassigned = Reassigned conversations
kind-ticket-reassigned = Reassigned tickets
kind-agent-status = Agent status changes
kind-first-response-due = First responses due
rules-pick-groups = Pick groups by name
rules-notify-me-about = Notify me about
dnd = Do not disturb
dnd-on-until = On until { $when }
dnd-off = Off
dnd-hour = For 1 hour
dnd-tomorrow = Until tomorrow 08:00
rules-priority-any = Any
rules-priority-and-above = { $priority } and above
rules-save = Save rules
rules-form = Rules
rules-new-tickets = New tickets: notify only when
rules-created-as = Created as (none ticked means any)
rules-created-as-hint = Spam never notifies.
rules-min-priority = Minimum priority
rules-groups = Groups
rules-groups-hint = Tick them by name below, or type ids, comma-separated; empty means any group.
rules-types = Types
rules-types-hint = Comma-separated; empty means any type.
rules-sources = Sources (none ticked means any)
rules-tags = Tags
rules-tags-hint = A ticket passes with any of them; empty means any.
rules-only-mine = Only tickets assigned to me
rules-quiet-hours = Quiet hours
rules-quiet-hours-hint = Ranges as HH:MM-HH:MM, comma-separated, like 18:00-08:00. A range past midnight runs into the next day; 00:00-00:00 is the whole day. What arrives is summed up afterwards.
rules-about-me = About me
rules-about-me-hint = Who "me" is, for "only tickets assigned to me", "only my teams" on the board, and tickets or conversations reassigned to or from you. Comma-separated.
rules-my-agent-ids = My agent ids
rules-my-emails = My emails
rules-my-groups = My groups
rules-my-groups-hint = Tick them by name below, or type ids.
rules-on-a-call = On a call
rules-hold = Hold notifications while I am on a call or in after-call work
rules-saving = Saving…
rules-saved = Saved.

## The page (ui/index.html, ui/src/main.ts)

tray-down = Deskbell is not running, so no notifications arrive and nothing here is live.
start-tray = Start Deskbell
tabs =
    .aria-label = Sections
tab-board = Board
tab-feed = Feed
tab-rules = Rules
tab-accounts = Accounts
announcements =
    .aria-label = New notifications and status changes
not-connected = Not connected to Deskbell
status-config-problem = Config problem: { $problem }
status-demo = Demo: built-in sample events (add an account to go live)
status-connected = { $count ->
    [one] { $live } of { $count } account connected
   *[other] { $live } of { $count } accounts connected
}
