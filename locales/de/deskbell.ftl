# Deskbells eigene Texte auf Deutsch: die Benachrichtigungen des Kerns, das
# Menü und der Tooltip des Tray-Symbols. Dieselben Nachrichten wie
# locales/en/deskbell.ftl; fehlt hier eine, gilt die englische.
# Anrede: „Sie“, wie in Freshdesks deutscher Oberfläche.

## Benachrichtigungen

unknown-caller = unbekannter Anrufer
no-subject = (kein Betreff)
agent-fallback-name = Agent { $id }
unknown-agent = ein Agent, der nicht im Verzeichnis steht
unknown-group = eine Gruppe, die nicht im Verzeichnis steht
nobody = niemand
you = Sie

agent-status-title = { $name } ist jetzt { $status }
agent-status-was = war { $status }
status-online = Online
status-busy = Beschäftigt
status-after-call-work = Nachbearbeitung
status-offline = Offline
status-unknown = Status { $code }

missed-call-title = Verpasster Anruf von { $who }
missed-call-to = an { $number }

new-ticket-title = Neues Ticket #{ $id }: { $subject }
ticket-from-name-email = von { $name } <{ $email }>
ticket-from = von { $who }
ticket-priority = { $priority ->
    [low] Priorität niedrig
    [medium] Priorität mittel
    [high] Priorität hoch
    [urgent] Priorität dringend
   *[other] Priorität { $code }
}
ticket-source = { $code ->
    [1] E-Mail
    [2] Portal
    [3] Telefon
    [5] Twitter
    [6] Facebook
    [7] Chat
    [8] Mobihelp
    [9] Feedback-Widget
    [10] Ausgehende E-Mail
   *[other] Quelle { $code }
}
ticket-spam = Ticket #{ $id } wurde als Spam markiert

ticket-reassigned = Ticket #{ $id } { $relation ->
    [to-me] wurde Ihnen zugewiesen
    [from-me] wurde Ihnen abgenommen
    [to-my-group] wurde Ihrer Gruppe zugewiesen
    [from-my-group] wurde Ihrer Gruppe abgenommen
   *[any] wurde neu zugewiesen
}
conversation-reassigned = Unterhaltung { $relation ->
    [to-me] wurde Ihnen zugewiesen
    [from-me] wurde Ihnen abgenommen
    [to-my-group] wurde Ihrer Gruppe zugewiesen
    [from-my-group] wurde Ihrer Gruppe abgenommen
   *[any] wurde neu zugewiesen
}
conversation-with-reassigned = Unterhaltung mit { $name } { $relation ->
    [to-me] wurde Ihnen zugewiesen
    [from-me] wurde Ihnen abgenommen
    [to-my-group] wurde Ihrer Gruppe zugewiesen
    [from-my-group] wurde Ihrer Gruppe abgenommen
   *[any] wurde neu zugewiesen
}
reassigned-by = von { $name }

first-response-overdue = Erste Antwort überfällig: #{ $id } { $subject }
first-response-due-in = Erste Antwort fällig in { $minutes } Min.: #{ $id } { $subject }
first-response-due-at = fällig { $time } Uhr
unassigned = nicht zugewiesen

kind-count = { $kind ->
    [missed_call] { $count ->
        [one] { $count } verpasster Anruf
       *[other] { $count } verpasste Anrufe
    }
    [new_ticket] { $count ->
        [one] { $count } neues Ticket
       *[other] { $count } neue Tickets
    }
    [conversation_reassigned] { $count ->
        [one] { $count } neu zugewiesene Unterhaltung
       *[other] { $count } neu zugewiesene Unterhaltungen
    }
    [ticket_reassigned] { $count ->
        [one] { $count } neu zugewiesenes Ticket
       *[other] { $count } neu zugewiesene Tickets
    }
    [agent_status] { $count ->
        [one] { $count } Statuswechsel
       *[other] { $count } Statuswechsel
    }
   *[first_response_due] { $count ->
        [one] { $count } bald fällige erste Antwort
       *[other] { $count } bald fällige erste Antworten
    }
}
held-do-not-disturb = Während „Nicht stören“
held-quiet-hours = Während der Ruhezeiten
held-on-call = Während Ihres Anrufs
held-away = Während Sie weg waren

## Schaltflächen und ihr Ergebnis

action-open = Öffnen
action-assign = Mir zuweisen
action-call-back = Zurückrufen
action-remind = In { $minutes } Min. erinnern
reminder-title = Erinnerung: { $title }
assigned-yours = Ticket #{ $id } gehört jetzt Ihnen
assigned-already = Ticket #{ $id } gehörte Ihnen schon
assigned-taken = { $who } hat #{ $id } übernommen
assigned-taken-ago = { $who } hat #{ $id } { $ago } übernommen
nothing-changed = Es wurde nichts geändert. { $title }
assign-failed = #{ $id } konnte Ihnen nicht zugewiesen werden
calling = { $number } wird angerufen
calling-rings-first = Zuerst klingelt Ihr Telefon; heben Sie ab, um den Anrufer zu erreichen.
call-back-failed = { $number } konnte nicht zurückgerufen werden
ago-just-now = gerade eben
ago-minutes = { $count ->
    [one] vor einer Minute
   *[other] vor { $count } Minuten
}
ago-hours = { $count ->
    [one] vor einer Stunde
   *[other] vor { $count } Stunden
}
ago-days = { $count ->
    [one] vor einem Tag
   *[other] vor { $count } Tagen
}

## Das Tray-Symbol

tray-missed-calls = Verpasste Anrufe
tray-new-tickets = Neue Tickets
tray-reassigned-conversations = Neu zugewiesene Unterhaltungen
tray-reassigned-tickets = Neu zugewiesene Tickets
tray-agent-status = Statuswechsel der Agenten
tray-first-responses = Fällige erste Antworten
tray-do-not-disturb = Nicht stören
tray-dnd-half-hour = 30 Minuten
tray-dnd-hour = 1 Stunde
tray-dnd-tomorrow = Bis morgen 08:00 Uhr
tray-dnd-off = Aus
tray-start-at-login = Bei der Anmeldung starten
tray-open = Deskbell öffnen
tray-quit = Beenden
tray-demo = Demo: eingebaute Beispielereignisse
tooltip-demo = Deskbell (Demo)
tooltip-last-event = letztes Ereignis { $time } Uhr
tooltip-no-events = noch keine Ereignisse
tooltip-unseen = { $count } ungelesen
tooltip-config-problem = Problem in der Konfiguration: { $problem }
account-keyring-locked = { $name }: Schlüsselbund gesperrt oder nicht erreichbar (zum erneuten Versuch klicken)
account-secret-missing = { $name }: kein Geheimnis im Schlüsselbund; fügen Sie das Konto erneut hinzu
account-connecting = { $name }: verbindet
account-connected = { $name }: verbunden
account-reconnecting = { $name }: neuer Versuch um { $time }: { $reason }
account-sign-in-needed = { $name }: Anmeldung nötig (klicken, um ein neues Token einzugeben)
account-stopped = { $name }: angehalten
