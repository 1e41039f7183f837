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
        # How to use the bots, the command menu, the admins' /stats (Telegram and Discord).
        "usage": (
            "Send /review followed by a review, or answer a message with /review to classify "
            "that message. In a private chat, just send the review."
        ),
        "cmd_review": "Classify a movie review: /review <text>",
        "cmd_help": "What this bot does and what it stores",
        "cmd_privacy": "What is stored about you and for how long",
        "cmd_optout": "Stop processing and storing your messages",
        "cmd_optin": "Resume processing your messages",
        "cmd_forget": "Erase everything stored about you",
        "not_your_button": "This button belongs to the person who asked.",
        "stats": (
            "Reviews today: {today} · last 7 days: {week}\n"
            "Positive (7 days): {positive_rate}\n"
            "Waiting in the queue: {backlog}\n"
            "Median time to answer (7 days): {p50}\n"
            "Model: {model} · threshold {threshold}"
        ),
        "no_data": "none yet",
        # The Discord bot's moderation commands and posts.
        "server_only": "This command works in a server, not in direct messages.",
        "moderators_only": (
            "Only moderators (Manage Server, or the server's moderator role) can use this command."
        ),
        "missing_permission": (
            "I lack the {permission} permission in {channel}; please grant it and try again."
        ),
        "cannot_read_channel": (
            "I cannot read {channel}: I need the View Channel and Read Message History "
            "permissions there."
        ),
        "watch_done": "Watching {channel} in {mode} mode: every review there gets a reaction.",
        "watch_needs_mod_log": (
            "Escalate mode posts to a mod-log channel, and none is set: choose one with "
            "/settings mod_log."
        ),
        "unwatch_done": "No longer watching {channel}.",
        "not_watched": "{channel} is not watched.",
        "settings_saved": "Settings saved.",
        "settings_invalid": "Nothing was changed: {problem}",
        "settings": (
            "ReviewBot settings of this server\n"
            "Watched channels: {channels}\n"
            "Moderator role: {moderator_role}\n"
            "Mod-log channel: {mod_log}\n"
            "Exempt roles: {exempt}\n"
            "Cooldown per member: {cooldown} s\n"
            "Review length: {min_chars} to {max_chars} characters\n"
            "Reactions: positive {positive}, negative {negative}, unsure {unsure} "
            "(within {band} of the threshold); members mark a wrong one with {wrong}\n"
            "Escalate negatives with confidence at least {escalate}"
        ),
        "none": "none",
        "exempt_added": "Messages of members with {role} are no longer classified.",
        "exempt_removed": "Messages of members with {role} are classified again.",
        "mood_empty": "No classified messages in {channel} in the last {days} days.",
        "mood_summary": "{channel}, last {days} days: {reviews} reviews, {rate} positive.",
        "mood_negative": "Most negative recent messages:",
        "mood_chart_title": "Mood of #{channel}",
        "mood_rate_axis": "positive rate",
        "mood_volume_axis": "reviews per day",
        "escalated": "Negative review (confidence {confidence}) by {author} in {channel}",
        "jump": "Jump to the message",
        "looks_fine": "Looks fine",
        "delete_message": "Delete message",
        "marked_fine": "Marked fine by {moderator}.",
        "deleted_by": "Deleted by {moderator}.",
        "message_gone": "That message is already gone.",
        # The HTTP API (api/) and its page.
        "batch_too_large": "A batch holds at most {limit} texts; this one has {count}.",
        "body_too_large": "The request is too large (the limit is {limit} bytes).",
        "not_found": "No review with this id: it was never sent, or its verdict has expired.",
        "pending": "The review is queued; ask again at the address in Location.",
        "key_required": "An API key is required: send it as 'Authorization: Bearer <key>'.",
        "key_invalid": "This API key is not valid, or it was revoked.",
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
        "usage": (
            "Envía /review seguido de una reseña, o responde a un mensaje con /review para "
            "clasificar ese mensaje. En un chat privado, basta con enviar la reseña."
        ),
        "cmd_review": "Clasifica una reseña de cine: /review <texto>",
        "cmd_help": "Qué hace este bot y qué guarda",
        "cmd_privacy": "Qué se guarda sobre ti y durante cuánto tiempo",
        "cmd_optout": "Deja de procesar y guardar tus mensajes",
        "cmd_optin": "Vuelve a procesar tus mensajes",
        "cmd_forget": "Borra todo lo guardado sobre ti",
        "not_your_button": "Este botón es de la persona que lo pidió.",
        "stats": (
            "Reseñas hoy: {today} · últimos 7 días: {week}\n"
            "Positivas (7 días): {positive_rate}\n"
            "En cola: {backlog}\n"
            "Tiempo mediano de respuesta (7 días): {p50}\n"
            "Modelo: {model} · umbral {threshold}"
        ),
        "no_data": "aún no hay datos",
        "server_only": "Este comando funciona en un servidor, no en mensajes directos.",
        "moderators_only": (
            "Solo los moderadores (Gestionar servidor, o el rol de moderador del servidor) pueden "
            "usar este comando."
        ),
        "missing_permission": (
            "Me falta el permiso {permission} en {channel}; concédemelo y vuelve a intentarlo."
        ),
        "cannot_read_channel": (
            "No puedo leer {channel}: necesito allí los permisos Ver canal y Leer el historial "
            "de mensajes."
        ),
        "watch_done": (
            "Vigilando {channel} en modo {mode}: cada reseña de ese canal recibe una reacción."
        ),
        "watch_needs_mod_log": (
            "El modo escalate publica en un canal de moderación y no hay ninguno: elige uno con "
            "/settings mod_log."
        ),
        "unwatch_done": "Ya no vigilo {channel}.",
        "not_watched": "{channel} no está vigilado.",
        "settings_saved": "Ajustes guardados.",
        "settings_invalid": "No se cambió nada: {problem}",
        "settings": (
            "Ajustes de ReviewBot en este servidor\n"
            "Canales vigilados: {channels}\n"
            "Rol de moderador: {moderator_role}\n"
            "Canal de moderación: {mod_log}\n"
            "Roles exentos: {exempt}\n"
            "Espera por miembro: {cooldown} s\n"
            "Longitud de una reseña: de {min_chars} a {max_chars} caracteres\n"
            "Reacciones: positiva {positive}, negativa {negative}, dudosa {unsure} "
            "(a menos de {band} del umbral); los miembros marcan una errónea con {wrong}\n"
            "Escalar negativas con confianza de al menos {escalate}"
        ),
        "none": "ninguno",
        "exempt_added": "Los mensajes de miembros con {role} ya no se clasifican.",
        "exempt_removed": "Los mensajes de miembros con {role} vuelven a clasificarse.",
        "mood_empty": "No hay mensajes clasificados en {channel} en los últimos {days} días.",
        "mood_summary": "{channel}, últimos {days} días: {reviews} reseñas, {rate} positivas.",
        "mood_negative": "Mensajes recientes más negativos:",
        "mood_chart_title": "Ánimo de #{channel}",
        "mood_rate_axis": "proporción positiva",
        "mood_volume_axis": "reseñas por día",
        "escalated": "Reseña negativa (confianza {confidence}) de {author} en {channel}",
        "jump": "Ir al mensaje",
        "looks_fine": "Está bien",
        "delete_message": "Borrar mensaje",
        "marked_fine": "{moderator} lo marcó como correcto.",
        "deleted_by": "Borrado por {moderator}.",
        "message_gone": "Ese mensaje ya no existe.",
        "batch_too_large": "Un lote admite como mucho {limit} textos; este tiene {count}.",
        "body_too_large": "La petición es demasiado grande (el límite es {limit} bytes).",
        "not_found": "No hay ninguna reseña con este id: no se envió, o su veredicto ya caducó.",
        "pending": "La reseña está en cola; vuelve a preguntar en la dirección de Location.",
        "key_required": "Hace falta una clave de API: envíala como 'Authorization: Bearer <clave>'.",
        "key_invalid": "Esta clave de API no es válida o fue revocada.",
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
