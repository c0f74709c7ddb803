# Die Texte des Fensters auf Deutsch (ui/src/); dieselben Nachrichten wie
# locales/en/window.ftl. Anrede: „Sie“.

## Verlauf

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
feed-held-do-not-disturb = zurückgehalten während „Nicht stören“
feed-held-quiet-hours = zurückgehalten während der Ruhezeiten
feed-held-on-call = zurückgehalten während Ihres Anrufs
feed-held-away = verpasst, während Sie weg waren
away-do-not-disturb = Während „Nicht stören“
away-quiet-hours = Während der Ruhezeiten
away-on-call = Während Ihres Anrufs
away-away = Während Sie weg waren
feed-assign = Mir zuweisen
feed-assign-named = Mir zuweisen: { $title }
feed-call-back = Zurückrufen
feed-call-back-named = { $number } zurückrufen
feed-remind = In { $minutes } Min. erinnern
feed-remind-named = In { $minutes } Min. erinnern: { $title }
feed-dismiss = Ausblenden
feed-empty = Noch keine Benachrichtigungen.
feed-list = Letzte Benachrichtigungen
feed-open = Öffnen
feed-open-named = { $title } öffnen

## Team-Übersicht

status-online = Online
status-busy = Beschäftigt / im Gespräch
status-after-call-work = Nachbearbeitung
status-offline = Offline
status-unknown = Status { $code }
status-stale = Unbekannt
status-stale-since = Unbekannt seit { $when }
available-browser = Browser
available-mobile = Mobil
available-device = Gerät { $code }
team-unknown = ein Team, das nicht im Verzeichnis steht
agent-fallback-name = Agent { $id }
team-status-news = { $name } ist jetzt { $status }
in-status-just-now = gerade eben
in-status-minutes = { $minutes } Min.
in-status-hours = { $hours } Std.
in-status-hours-minutes = { $hours } Std. { $minutes } Min.
in-status-days = { $days ->
    [one] { $days } Tag
   *[other] { $days } Tage
}
board-search-field =
    .placeholder = Name, E-Mail oder Team
board-counts =
    .aria-label = Agenten je Status
board-empty = Kein Agent passt.
board-search = Suche
board-team = Team
board-status = Status
board-only-mine = Nur meine Teams
board-table =
    .aria-label = Team-Übersicht
board-col-agent = Agent
board-col-status = Status
board-col-available-on = Erreichbar über
board-col-teams = Teams
board-col-in-status = Im Status seit
board-count = { $status }: { $count }
board-team-unnamed = Team { $id }
board-all-teams = Alle Teams
board-all-statuses = Alle Status

## Konten

account-keyring-locked = Schlüsselbund gesperrt oder nicht erreichbar
account-secret-missing = Kein Geheimnis im Schlüsselbund: fügen Sie das Konto erneut hinzu
account-connecting = Verbindet
account-connected = Verbunden
account-reconnecting = Neuer Versuch um { $time } Uhr: { $reason }
account-sign-in-needed = Anmeldung nötig: Token oder Passwort wurde abgelehnt (mit „Bearbeiten“ ein neues eingeben)
account-stopped = Angehalten
accounts-demo-note = Noch kein Konto: Die eingebaute Demo läuft.
account-edit = Bearbeiten
account-edit-named = { $name } bearbeiten
account-test = Testen
account-test-named = { $name } testen
account-testing = Wird getestet…
account-test-works-row = Verbindung funktioniert
account-test-works = Verbindung funktioniert.
account-remove = Entfernen
account-remove-named = { $name } entfernen
account-last-event = letztes Ereignis { $time } Uhr
account-no-events = noch keine Ereignisse
account-kind-relay = Relay (Freshworks)
account-kind-invite = Relay, mit einem Einladungscode
account-kind-xelion = Xelion-Telefonanlage
account-domains-example = support.acme.example (optional)
account-fallbacks-example = https://relay2.acme.example/ (optional)
account-add-heading = Konto hinzufügen
account-add = Hinzufügen
account-join = Beitreten
account-save = Speichern
account-test-connection = Verbindung testen
account-cancel = Abbrechen
account-tenant = Mandant
account-user = Benutzer
account-fallbacks = Weitere Relays, der Reihe nach versucht, wenn dieses ausfällt
account-domains = Helpdesk-Domains
account-kind = Art
account-name = Name
account-url = URL
account-secret-token = Agent-Token
account-secret-password = Passwort
account-secret-invite = Einladungscode oder der deskbell://-Link
account-secret-new = { $what ->
    [password] Neues Passwort (leer lässt das gespeicherte)
    [invite] Neuer Einladungscode oder der deskbell://-Link (leer lässt den gespeicherten)
   *[token] Neues Agent-Token (leer lässt das gespeicherte)
}
account-test-invite = Ein Code gilt nur einmal: „Beitreten“ löst ihn ein und verbindet.
account-test-needs-secret = { $what ->
    [password] Geben Sie zuerst das Passwort ein.
   *[token] Geben Sie zuerst das Agent-Token ein.
}

## Regeln

day-mon = Montag
day-tue = Dienstag
day-wed = Mittwoch
day-thu = Donnerstag
day-fri = Freitag
day-sat = Samstag
day-sun = Sonntag
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
ticket-status = { $code ->
    [2] Offen
    [3] Ausstehend
    [4] Gelöst
    [5] Geschlossen
   *[other] Status { $code }
}
ticket-priority = { $code ->
    [1] Niedrig
    [2] Mittel
    [3] Hoch
    [4] Dringend
   *[other] Priorität { $code }
}
rules-too-many = { $field }: höchstens { $max } Einträge
rules-bad-priority = die Mindestpriorität ist 1 (Niedrig) bis 4 (Dringend), nicht { $priority }
rules-bad-group = Gruppen-IDs sind Zahlen wie 43000012345; „{ $group }“ ist keine
rules-bad-type = ein Tickettyp hat 1 bis { $max } Zeichen; „{ $type }“ nicht
rules-bad-status = Ticketstatus { $status } gibt es in Freshdesk nicht (2 Offen, 3 Ausstehend, 4 Gelöst, 5 Geschlossen oder die Nummer eines eigenen Status)
rules-bad-source = Ticketquelle { $source } gibt es in Freshdesk nicht
rules-bad-tag = ein Tag hat 1 bis { $max } Zeichen ohne Kommas; „{ $tag }“ nicht
rules-bad-agent-id = eine Agent-ID hat 1 bis 64 Zeichen ohne Leerzeichen und Kommas; „{ $id }“ nicht
rules-bad-email = „{ $email }“ ist keine E-Mail-Adresse
rules-bad-my-group = Gruppen-IDs sind Zahlen wie 43000012345 oder die ID einer Freshchat-Gruppe wie 2f4c5e1a-0b3d-4e6f-8a9b-1c2d3e4f5a6b; „{ $group }“ ist keins von beiden
rules-bad-quiet-hours = Ruhezeiten am { $day }: erwartet HH:MM-HH:MM, nicht „{ $range }“
me-product-agent = { $product ->
    [freshdesk] Freshdesk
    [freshcaller] Freshcaller
   *[freshchat] Freshchat
}-Agent { $id }
group-unknown = eine Gruppe, die nicht im Verzeichnis steht
me-you-are = Sie sind { $emails }
me-groups = Gruppen { $groups }
me-from-relay = Von Ihrem Relay: { $what }. Ein leeres Feld nimmt diese Angaben; was Sie eintragen, hat Vorrang.
kind-missed-call = Verpasste Anrufe
kind-new-ticket = Neue Tickets
kind-conversation-reassigned = Neu zugewiesene Unterhaltungen
kind-ticket-reassigned = Neu zugewiesene Tickets
kind-agent-status = Statuswechsel der Agenten
kind-first-response-due = Fällige erste Antworten
rules-pick-groups = Gruppen nach Namen wählen
rules-notify-me-about = Benachrichtigen bei
dnd = Nicht stören
dnd-on-until = An bis { $when }
dnd-off = Aus
dnd-hour = 1 Stunde
dnd-tomorrow = Bis morgen 08:00 Uhr
rules-priority-any = Jede
rules-priority-and-above = { $priority } und höher
rules-save = Regeln speichern
rules-form = Regeln
rules-new-tickets = Neue Tickets: nur benachrichtigen, wenn
rules-created-as = Erstellt als (nichts angekreuzt heißt: jeder Status)
rules-created-as-hint = Spam benachrichtigt nie.
rules-min-priority = Mindestpriorität
rules-groups = Gruppen
rules-groups-hint = Unten nach Namen ankreuzen oder IDs eingeben, durch Kommas getrennt; leer heißt: jede Gruppe.
rules-types = Typen
rules-types-hint = Durch Kommas getrennt; leer heißt: jeder Typ.
rules-sources = Quellen (nichts angekreuzt heißt: jede Quelle)
rules-tags = Tags
rules-tags-hint = Ein Ticket passt mit irgendeinem davon; leer heißt: jedes.
rules-only-mine = Nur Tickets, die mir zugewiesen sind
rules-quiet-hours = Ruhezeiten
rules-quiet-hours-hint = Zeiträume als HH:MM-HH:MM, durch Kommas getrennt, etwa 18:00-08:00. Ein Zeitraum über Mitternacht reicht in den nächsten Tag; 00:00-00:00 ist der ganze Tag. Was in der Zeit eintrifft, wird danach zusammengefasst.
rules-about-me = Über mich
rules-about-me-hint = Wer „ich“ bin: für „nur mir zugewiesene Tickets“, „nur meine Teams“ in der Übersicht und Tickets oder Unterhaltungen, die Ihnen zugewiesen oder abgenommen werden. Durch Kommas getrennt.
rules-my-agent-ids = Meine Agent-IDs
rules-my-emails = Meine E-Mail-Adressen
rules-my-groups = Meine Gruppen
rules-my-groups-hint = Unten nach Namen ankreuzen oder IDs eingeben.
rules-on-a-call = Im Gespräch
rules-hold = Benachrichtigungen zurückhalten, während ich telefoniere oder nachbearbeite
rules-saving = Wird gespeichert…
rules-saved = Gespeichert.

## Die Seite

tray-down = Deskbell läuft nicht: Es kommen keine Benachrichtigungen an, und nichts hier ist aktuell.
start-tray = Deskbell starten
tabs =
    .aria-label = Bereiche
tab-board = Übersicht
tab-feed = Verlauf
tab-rules = Regeln
tab-accounts = Konten
announcements =
    .aria-label = Neue Benachrichtigungen und Statuswechsel
not-connected = Keine Verbindung zu Deskbell
status-config-problem = Problem in der Konfiguration: { $problem }
status-demo = Demo: eingebaute Beispielereignisse (fügen Sie ein Konto hinzu, um live zu gehen)
status-connected = { $count ->
    [one] { $live } von { $count } Konto verbunden
   *[other] { $live } von { $count } Konten verbunden
}
