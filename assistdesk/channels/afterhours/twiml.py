"""TwiML answers for the after-hours line (Twilio's voice XML). Pure Python.

The call flow, each step one POST of Twilio's form fields to /api/v1/ivr/twiml:
1. no `Digits`, the caller's number names one customer: <Gather> six digits, the PIN;
2. no `Digits`, the number is unknown: <Gather> the customer code (ended by #), posted
   back with `?step=code`; the answer gathers the PIN with `?code=<the code>`;
3. `Digits` = the PIN: <Say> + <Dial> the on-call technician, or a <Say> and hang up.
Prompts are in the line's language until the customer is known, then in the customer's.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

VOICE_LANGUAGE = {"en": "en-GB", "it": "it-IT", "fr": "fr-FR", "ro": "ro-RO"}

TEXT: dict[str, dict[str, str]] = {
    "ask_pin": {
        "en": "Please enter your six-digit support PIN.",
        "it": "Digiti il PIN Assistenza di sei cifre.",
        "fr": "Veuillez saisir votre code PIN d'assistance à six chiffres.",
        "ro": "Vă rugăm să introduceți PIN-ul de asistență din șase cifre.",
    },
    "ask_code": {
        "en": "Please enter your customer code, followed by the hash key.",
        "it": "Digiti il codice cliente, seguito dal tasto cancelletto.",
        "fr": "Veuillez saisir votre code client, suivi de la touche dièse.",
        "ro": "Vă rugăm să introduceți codul de client, urmat de tasta diez.",
    },
    "no_input": {
        "en": "We received no input. Goodbye.",
        "it": "Nessuna cifra ricevuta. Arrivederci.",
        "fr": "Nous n'avons rien reçu. Au revoir.",
        "ro": "Nu am primit nicio cifră. La revedere.",
    },
    "refused": {
        "en": "Sorry, we cannot accept this PIN. Goodbye.",
        "it": "Spiacenti, non possiamo accettare questo PIN. Arrivederci.",
        "fr": "Désolés, nous ne pouvons pas accepter ce code. Au revoir.",
        "ro": "Ne pare rău, nu putem accepta acest PIN. La revedere.",
    },
    "not_covered": {
        "en": "Your contract does not include Extra Time at this hour. Please call again "
        "during office hours or write to us. Goodbye.",
        "it": "Il suo contratto non prevede l'Extra Time in questo orario. La preghiamo di "
        "richiamare in orario d'ufficio o di scriverci. Arrivederci.",
        "fr": "Votre contrat n'inclut pas d'assistance à cette heure. Merci de rappeler "
        "aux heures de bureau ou de nous écrire. Au revoir.",
        "ro": "Contractul dumneavoastră nu include Extra Time la această oră. Vă rugăm să "
        "sunați în timpul programului sau să ne scrieți. La revedere.",
    },
    "connecting": {
        "en": "Thank you. Your request is ticket {number}. Connecting you to the technician "
        "on call.",
        "it": "Grazie. La sua richiesta è il ticket {number}. La mettiamo in contatto con il "
        "tecnico reperibile.",
        "fr": "Merci. Votre demande porte le numéro {number}. Nous vous mettons en relation "
        "avec le technicien d'astreinte.",
        "ro": "Vă mulțumim. Solicitarea dumneavoastră are numărul {number}. Vă conectăm cu "
        "tehnicianul de serviciu.",
    },
    "nobody_on_call": {
        "en": "Thank you. Your request is ticket {number}. No technician can take your call "
        "right now: we will call you back. Goodbye.",
        "it": "Grazie. La sua richiesta è il ticket {number}. Nessun tecnico può rispondere "
        "ora: la richiameremo. Arrivederci.",
        "fr": "Merci. Votre demande porte le numéro {number}. Aucun technicien n'est "
        "disponible : nous vous rappellerons. Au revoir.",
        "ro": "Vă mulțumim. Solicitarea dumneavoastră are numărul {number}. Niciun tehnician "
        "nu poate prelua apelul acum: vă vom suna înapoi. La revedere.",
    },
}


def text(name: str, language: str, **values: str) -> str:
    table = TEXT[name]
    return table.get(language, table["en"]).format(**values)


def _response() -> ET.Element:
    return ET.Element("Response")


def _say(parent: ET.Element, message: str, language: str) -> None:
    say = ET.SubElement(parent, "Say", language=VOICE_LANGUAGE.get(language, "en-GB"))
    say.text = message


def _xml(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def gather(prompt: str, language: str, *, action: str, num_digits: int | None) -> str:
    """Ask for digits; Twilio posts them to `action`. No input: say so and hang up."""
    root = _response()
    attributes = {"input": "dtmf", "action": action, "method": "POST", "timeout": "10"}
    if num_digits is not None:
        attributes["numDigits"] = str(num_digits)
    else:
        attributes["finishOnKey"] = "#"
    node = ET.SubElement(root, "Gather", attributes)
    _say(node, text(prompt, language), language)
    _say(root, text("no_input", language), language)
    ET.SubElement(root, "Hangup")
    return _xml(root)


def say_and_hang_up(message: str, language: str) -> str:
    root = _response()
    _say(root, message, language)
    ET.SubElement(root, "Hangup")
    return _xml(root)


def say_and_dial(message: str, language: str, number: str) -> str:
    root = _response()
    _say(root, message, language)
    dial = ET.SubElement(root, "Dial")
    dial.text = number
    return _xml(root)
