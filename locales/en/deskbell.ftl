# Deskbell's own texts in English: the notifications the core writes, the
# tray's menu and tooltip. Every other language's catalog has the same
# messages (crates/core/tests/l10n.rs holds them to it); English is also
# what a missing German text falls back to.
#
# Variables: customer and agent names, subjects and numbers arrive as they
# were sent; the core removes hidden characters and the popup escapes them.

## Notifications (crates/core/src/rules/, first_response.rs, coalesce.rs)

unknown-caller = unknown caller
no-subject = (no subject)
agent-fallback-name = Agent { $id }
unknown-agent = an agent not in the directory
unknown-group = a group not in the directory
nobody = nobody
you = you

agent-status-title = { $name } is now { $status }
agent-status-was = was { $status }
status-online = Online
status-busy = Busy
status-after-call-work = After-call work
status-offline = Offline
status-unknown = status { $code }

missed-call-title = Missed call from { $who }
missed-call-to = to { $number }

new-ticket-title = New ticket #{ $id }: { $subject }
ticket-from-name-email = from { $name } <{ $email }>
ticket-from = from { $who }
ticket-priority = { $priority ->
    [low] Low priority
    [medium] Medium priority
    [high] High priority
    [urgent] Urgent priority
   *[other] Priority { $code }
}
# Freshdesk's ticket sources by their code; a code not listed keeps no name.
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
ticket-spam = Ticket #{ $id } was marked as spam

# $relation: to-me, from-me, to-my-group, from-my-group; any (no identity set)
ticket-reassigned = Ticket #{ $id } { $relation ->
    [to-me] assigned to you
    [from-me] taken from you
    [to-my-group] assigned to your group
    [from-my-group] taken from your group
   *[any] reassigned
}
conversation-reassigned = Conversation { $relation ->
    [to-me] assigned to you
    [from-me] taken from you
    [to-my-group] assigned to your group
    [from-my-group] taken from your group
   *[any] reassigned
}
conversation-with-reassigned = Conversation with { $name } { $relation ->
    [to-me] assigned to you
    [from-me] taken from you
    [to-my-group] assigned to your group
    [from-my-group] taken from your group
   *[any] reassigned
}
reassigned-by = by { $name }

first-response-overdue = First response overdue: #{ $id } { $subject }
first-response-due-in = First response due in { $minutes } min: #{ $id } { $subject }
first-response-due-at = due { $time }
unassigned = unassigned

# A burst of one kind, shown as one popup; and the counts in a summary.
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
held-do-not-disturb = While you were in do-not-disturb
held-quiet-hours = During quiet hours
held-on-call = While you were on a call
held-away = While you were away

## Buttons and what they did (crates/core/src/actions/)

action-open = Open
action-assign = Assign to me
action-call-back = Call back
action-remind = Remind me in { $minutes } min
reminder-title = Reminder: { $title }
assigned-yours = Ticket #{ $id } is yours
assigned-already = Ticket #{ $id } was yours already
assigned-taken = { $who } took #{ $id }
assigned-taken-ago = { $who } took #{ $id } { $ago }
nothing-changed = Nothing was changed. { $title }
assign-failed = Could not assign #{ $id } to you
calling = Calling { $number }
calling-rings-first = Your phone rings first; pick it up to reach the caller.
call-back-failed = Could not call { $number } back
ago-just-now = just now
ago-minutes = { $count ->
    [one] a minute ago
   *[other] { $count } minutes ago
}
ago-hours = { $count ->
    [one] an hour ago
   *[other] { $count } hours ago
}
ago-days = { $count ->
    [one] a day ago
   *[other] { $count } days ago
}

## The tray (crates/tray/src/tray.rs; lines and tooltip from crates/core/src/view.rs)

tray-missed-calls = Missed calls
tray-new-tickets = New tickets
tray-reassigned-conversations = Reassigned conversations
tray-reassigned-tickets = Reassigned tickets
tray-agent-status = Agent status changes
tray-first-responses = First responses due
tray-do-not-disturb = Do not disturb
tray-dnd-half-hour = For 30 minutes
tray-dnd-hour = For 1 hour
tray-dnd-tomorrow = Until tomorrow 08:00
tray-dnd-off = Off
tray-start-at-login = Start at login
tray-open = Open Deskbell
tray-quit = Quit
tray-demo = Demo: built-in sample events
tooltip-demo = Deskbell (demo)
tooltip-last-event = last event { $time }
tooltip-no-events = no events yet
tooltip-unseen = { $count } unseen
tooltip-config-problem = config problem: { $problem }
account-keyring-locked = { $name }: keyring locked or unavailable (click to retry)
account-secret-missing = { $name }: no secret in the keyring; add the account again
account-connecting = { $name }: connecting
account-connected = { $name }: connected
account-reconnecting = { $name }: reconnecting at { $time }: { $reason }
account-sign-in-needed = { $name }: sign-in needed (click to enter a new token)
account-stopped = { $name }: stopped
