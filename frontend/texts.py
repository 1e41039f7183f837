"""What a verdict means to a person, as plain text in English and Spanish.

The one place every front-end (console, Telegram, Discord, the HTTP API and its page) takes its
sentences from, so a person reads the same words wherever they send a review. Plain text only:
each front-end adds its own markup (Rich on the console, HTML on Telegram) around these strings
and escapes what the person typed.

    lang = interface_language(user.language_code)        # "es-MX" -> Language.ES, else EN
    lines = verdict_lines(verdict, lang)                 # headline, then notes
    text = submit_error_text(error, lang)                # EmptyReview, ReviewTooLong, Busy, ...
"""

from reviewbot.messages import Label, Language, Prediction, Verdict
from reviewbot.validation import BinaryReview, Busy, EmptyReview, ReviewTooLong, SubmitError

EMOJI = {Label.POSITIVE: "👍", Label.NEGATIVE: "👎"}

_LABELS = {
    Language.EN: {Label.POSITIVE: "Positive", Label.NEGATIVE: "Negative"},
    Language.ES: {Label.POSITIVE: "Positiva", Label.NEGATIVE: "Negativa"},
}
_LANGUAGE_NAMES = {
    Language.EN: {Language.EN: "English", Language.ES: "Spanish", Language.OTHER: "other"},
    Language.ES: {Language.EN: "inglés", Language.ES: "español", Language.OTHER: "otro"},
}
_SENTENCES = {
    Language.EN: {
        "headline": "{emoji} {label} (confidence {confidence}) · language: {language}",
        "other_language": (
            "This does not look like English or Spanish, the languages ReviewBot is trained on: "
            "take the verdict as a guess."
        ),
        "truncated": (
            "The review is long: only its first {tokens} tokens were read, the rest was cut off."
        ),
        "failed": "The review could not be classified: {error}",
        # The refusals of reviewbot.validation (empty, too long, binary, busy) are written there
        # in English, where the worker uses them too; their Spanish is below.
        "rate_limited": "You have sent a lot of reviews; please try again in {seconds} s.",
        "timeout": (
            "No answer within {seconds} s; the review stays queued and will be classified when "
            "a worker is free."
        ),
        "no_worker": "No worker is running to classify reviews right now; please try again later.",
        "opted_out": "You have opted out, so your messages are not processed. Send /optin to resume.",
        # What the bots say about themselves and about privacy (Telegram and Discord alike).
        "about": (
            "I classify the sentiment of movie reviews in English and Spanish: send me a review "
            "and I answer whether it is positive or negative, and how sure I am."
        ),
        "stored": (
            "What is stored: the text of each review you send, its verdict, your platform user "
            "id and chat id, and any 👍/👎 feedback you give. Texts and ids are erased after "
            "{retention_days} days; verdict statistics without text are kept."
        ),
        "stored_forever": (
            "What is stored: the text of each review you send, its verdict, your platform user "
            "id and chat id, and any 👍/👎 feedback you give, until you ask for it to be erased."
        ),
        "privacy_commands": (
            "/optout stops processing and storing your messages; /optin resumes it; /forget "
            "erases everything stored about you."
        ),
        "optout_done": (
            "Done: your messages will not be processed or stored from now on. /optin undoes this; "
            "/forget also erases what is already stored."
        ),
        "optin_done": "Welcome back: your reviews will be classified again.",
        "forget_confirm": (
            "This erases every review, verdict and feedback stored about you. It cannot be undone. "
            "Continue?"
        ),
        "forget_yes": "Erase everything",
        "forget_no": "Cancel",
        "forget_started": "Erasing what is stored about you; I will tell you when it is done.",
        "forget_done": "Done: {count} stored reviews and everything linked to them were erased.",
        "forget_failed": "Erasing failed; it will be retried. Please try /forget again later.",
        "forget_cancelled": "Cancelled: nothing was erased.",
        "admin_only": "Sorry, this command is only for the bot's administrators.",
        "feedback_thanks": "Thanks, your feedback was recorded.",
        "feedback_gone": "This review is no longer stored, so feedback cannot be recorded.",
        "not_text": "I can only classify text: send the review as a message.",
        "unavailable": "ReviewBot is having trouble right now; please try again in a minute.",
    },
    Language.ES: {
        "headline": "{emoji} {label} (confianza {confidence}) · idioma: {language}",
        "other_language": (
            "No parece inglés ni español, los idiomas con los que se entrenó ReviewBot: "
            "toma el veredicto como una suposición."
        ),
        "truncated": (
            "La reseña es larga: solo se leyeron sus primeros {tokens} tokens, el resto se cortó."
        ),
        "failed": "No se pudo clasificar la reseña: {error}",
        "empty": "La reseña está vacía: envía algún texto para clasificar.",
        "too_long": "La reseña es demasiado larga ({length} caracteres; el límite es {limit}).",
        "binary": (
            "La reseña contiene un carácter de control o binario (en la posición {position}); "
            "envía texto normal."
        ),
        "busy": "Hay demasiadas reseñas en espera; inténtalo de nuevo en {seconds} s.",
        "rate_limited": "Has enviado muchas reseñas; inténtalo de nuevo en {seconds} s.",
        "timeout": (
            "Sin respuesta en {seconds} s; la reseña sigue en cola y se clasificará cuando haya "
            "un trabajador libre."
        ),
        "no_worker": (
            "Ahora mismo no hay ningún trabajador para clasificar reseñas; inténtalo más tarde."
        ),
        "opted_out": (
            "Te has dado de baja, así que tus mensajes no se procesan. Envía /optin para volver."
        ),
        "about": (
            "Clasifico el sentimiento de reseñas de películas en inglés y español: envíame una "
            "reseña y te digo si es positiva o negativa, y con qué seguridad."
        ),
        "stored": (
            "Qué se guarda: el texto de cada reseña que envías, su veredicto, tu id de usuario y "
            "de chat en la plataforma, y tus votos 👍/👎. Los textos y los ids se borran a los "
            "{retention_days} días; se conservan estadísticas de veredictos sin texto."
        ),
        "stored_forever": (
            "Qué se guarda: el texto de cada reseña que envías, su veredicto, tu id de usuario y "
            "de chat en la plataforma, y tus votos 👍/👎, hasta que pidas borrarlo."
        ),
        "privacy_commands": (
            "/optout deja de procesar y guardar tus mensajes; /optin lo reanuda; /forget borra "
            "todo lo guardado sobre ti."
        ),
        "optout_done": (
            "Hecho: a partir de ahora tus mensajes no se procesarán ni se guardarán. /optin lo "
            "deshace; /forget borra además lo ya guardado."
        ),
        "optin_done": "Bienvenido de nuevo: tus reseñas se volverán a clasificar.",
        "forget_confirm": (
            "Esto borra todas las reseñas, veredictos y votos guardados sobre ti. No se puede "
            "deshacer. ¿Continuar?"
        ),
        "forget_yes": "Borrar todo",
        "forget_no": "Cancelar",
        "forget_started": "Borrando lo guardado sobre ti; te aviso cuando termine.",
        "forget_done": "Hecho: se borraron {count} reseñas guardadas y todo lo asociado a ellas.",
        "forget_failed": "El borrado falló; se reintentará. Prueba /forget de nuevo más tarde.",
        "forget_cancelled": "Cancelado: no se borró nada.",
        "admin_only": "Lo siento, este comando es solo para los administradores del bot.",
        "feedback_thanks": "Gracias, tu voto quedó registrado.",
        "feedback_gone": "Esta reseña ya no está guardada, así que no se puede votar.",
        "not_text": "Solo puedo clasificar texto: envía la reseña como mensaje.",
        "unavailable": "ReviewBot tiene problemas ahora mismo; inténtalo de nuevo en un minuto.",
    },
}


def interface_language(code: str | None) -> Language:
    """The interface language for a platform's locale code: Spanish for "es", "es-MX", "es_AR"
    ..., English for everything else (the default of every front-end)."""
    if code and code.strip().lower().replace("_", "-").split("-")[0] == "es":
        return Language.ES
    return Language.EN


def sentence(key: str, lang: Language = Language.EN, **values: object) -> str:
    """One of the sentences above in `lang` (English for Language.OTHER), filled in."""
    table = _SENTENCES.get(lang, _SENTENCES[Language.EN])
    return table[key].format(**values)


def confidence(prediction: Prediction) -> float:
    """How sure the model is of the label it gave: P(positive) or P(negative)."""
    if prediction.label == Label.POSITIVE:
        return prediction.p_positive
    return 1.0 - prediction.p_positive


def label_text(label: Label, lang: Language = Language.EN) -> str:
    return _LABELS.get(lang, _LABELS[Language.EN])[label]


def language_name(language: Language, lang: Language = Language.EN) -> str:
    return _LANGUAGE_NAMES.get(lang, _LANGUAGE_NAMES[Language.EN])[language]


def headline(prediction: Prediction, lang: Language = Language.EN) -> str:
    """ "👍 Positive (confidence 0.93) · language: English"."""
    return sentence(
        "headline",
        lang,
        emoji=EMOJI[prediction.label],
        label=label_text(prediction.label, lang),
        confidence=f"{confidence(prediction):.2f}",
        language=language_name(prediction.language, lang),
    )


def notes(prediction: Prediction, lang: Language = Language.EN) -> list[str]:
    """What the person should know besides the label: another language, a cut-off text."""
    lines = []
    if prediction.language == Language.OTHER:
        lines.append(sentence("other_language", lang))
    if prediction.truncated:
        lines.append(sentence("truncated", lang, tokens=prediction.n_tokens))
    return lines


def verdict_lines(verdict: Verdict, lang: Language = Language.EN) -> list[str]:
    """The answer to a review: the headline and its notes, or why it got no label."""
    if verdict.prediction is None:
        return [sentence("failed", lang, error=verdict.error or "unknown error")]
    return [headline(verdict.prediction, lang), *notes(verdict.prediction, lang)]


def verdict_text(verdict: Verdict, lang: Language = Language.EN) -> str:
    return "\n".join(verdict_lines(verdict, lang))


def submit_error_text(error: SubmitError, lang: Language = Language.EN) -> str:
    """Why a review was refused before it was queued, in the person's language (English: the
    error's own message, which the worker and the API's 422 use too)."""
    if lang != Language.ES:
        return error.message
    if isinstance(error, EmptyReview):
        return sentence("empty", lang)
    if isinstance(error, ReviewTooLong):
        return sentence("too_long", lang, length=error.length, limit=error.limit)
    if isinstance(error, BinaryReview):
        return sentence("binary", lang, position=error.position)
    if isinstance(error, Busy):
        return sentence("busy", lang, seconds=error.retry_after_s)
    return error.message


def privacy_text(retention_days: int, lang: Language = Language.EN) -> str:
    """What is stored and for how long, and the privacy commands (/privacy, part of /help)."""
    stored = (
        sentence("stored", lang, retention_days=retention_days)
        if retention_days > 0
        else sentence("stored_forever", lang)
    )
    return f"{stored}\n{sentence('privacy_commands', lang)}"
