"""Bokmål and nynorsk for everything a municipality's respondent reads.

A county writes to a municipality in the written standard the municipality has adopted (målform), so the
respondent's pages, messages and receipts come from this catalogue in the municipality's ``malform``.
Staff pages are in bokmål. Each entry is ``key: (bokmål, nynorsk)``; ``{name}`` fields are filled by ``t``.
"""

from __future__ import annotations

from typing import Any, Literal

from jinja2 import pass_context
from jinja2.runtime import Context

Lang = Literal["nb", "nn"]

TEXTS: dict[str, tuple[str, str]] = {
    # frame and navigation
    "skip_link": ("Hopp til hovedinnholdet", "Hopp til hovudinnhaldet"),
    "footer_contact": (
        "Spørsmål om undersøkelsen? Ta kontakt med fylkeskommunens integreringsrådgivere.",
        "Spørsmål om undersøkinga? Ta kontakt med integreringsrådgivarane i fylkeskommunen.",
    ),
    "accessibility_statement": ("Tilgjengelighetserklæring", "Tilgjengelegheitserklæring"),
    "privacy": ("Personvern", "Personvern"),
    "nav_label": ("Skjemaet", "Skjemaet"),
    "overview": ("Oversikt", "Oversikt"),
    "review_and_submit": ("Se over og send inn", "Sjå over og send inn"),
    # Where nothing can be sent (the answer is sent, or the round has closed): what is left is to read it.
    "read_answer": ("Se svaret", "Sjå svaret"),
    "answer_title": ("Svaret fra {name} kommune", "Svaret frå {name} kommune"),
    "municipality": ("{name} kommune", "{name} kommune"),
    "deadline": ("Fristen er {date}.", "Fristen er {date}."),
    # start page
    "submitted_title": ("Svaret er sendt inn", "Svaret er sendt inn"),
    "submitted_text": ("Sendt {when} og godkjent av {who}.", "Sendt {when} og godkjend av {who}."),
    "see_receipt": ("Se kvitteringen", "Sjå kvitteringa"),
    "closed_title": ("Runden er avsluttet", "Runden er avslutta"),
    "closed_not_submitted": (
        "Svaret ble ikke sendt inn før runden ble avsluttet. Det dere lagret, kan dere fortsatt lese, men "
        "ikke endre. Ta kontakt med fylkeskommunen hvis dere har spørsmål.",
        "Svaret vart ikkje sendt inn før runden vart avslutta. Det de lagra, kan de framleis lese, men "
        "ikkje endre. Ta kontakt med fylkeskommunen dersom de har spørsmål.",
    ),
    "reopened_text": (
        "Fylkeskommunen har åpnet svaret igjen, så dere kan rette det. Husk å sende inn på nytt.",
        "Fylkeskommunen har opna svaret igjen, så de kan rette det. Hugs å sende inn på nytt.",
    ),
    "before_you_start": ("Før dere begynner", "Før de byrjar"),
    "who_reads": (
        "Svarene leses av fylkeskommunens rådgivere for integrering, og brukes i arbeidet med anbefalingen "
        "om bosetting av flyktninger.",
        "Svara blir lesne av rådgivarane for integrering i fylkeskommunen, og blir brukte i arbeidet med "
        "tilrådinga om busetjing av flyktningar.",
    ),
    "public_access": (
        "Svarene kan bli utlevert etter offentleglova hvis noen ber om innsyn.",
        "Svara kan bli utleverte etter offentleglova dersom nokon ber om innsyn.",
    ),
    "no_personal_data": ("Ikke skriv personopplysninger", "Ikkje skriv personopplysningar"),
    "no_personal_data_detail": (
        "ingen navn, fødselsnumre, telefonnumre eller opplysninger om helse, religion eller etnisitet om "
        "enkeltpersoner.",
        "ingen namn, fødselsnummer, telefonnummer eller opplysningar om helse, religion eller etnisitet om "
        "enkeltpersonar.",
    ),
    "time_estimate": (
        "Det tar om lag {minutes} minutter å svare når dere har tallene og opplysningene klare.",
        "Det tek om lag {minutes} minutt å svare når de har tala og opplysningane klare.",
    ),
    "autosave_note": (
        "Alt lagres automatisk mens dere skriver. Flere kolleger kan svare samtidig med samme lenke, og dere "
        "kan ta pauser og komme tilbake.",
        "Alt blir lagra automatisk medan de skriv. Fleire kollegar kan svare samtidig med same lenka, og de "
        "kan ta pausar og kome tilbake.",
    ),
    "editor_label": ("Hvem fyller ut nå? (valgfritt)", "Kven fyller ut no? (valfritt)"),
    "editor_help": (
        "For eksempel «flyktningtjenesten» eller et fornavn. Det vises for kolleger som svarer samtidig.",
        "Til dømes «flyktningtenesta» eller eit førenamn. Det blir vist for kollegar som svarar samtidig.",
    ),
    "editor_save": ("Lagre navnet", "Lagre namnet"),
    "sections_heading": ("Delene i skjemaet", "Delane i skjemaet"),
    "progress_total": (
        "Besvart {answered} av {total} spørsmål. Påkrevde: {required_answered} av {required_total}.",
        "Svart på {answered} av {total} spørsmål. Obligatoriske: {required_answered} av {required_total}.",
    ),
    "progress_item": ("besvart {answered} av {total}", "svart på {answered} av {total}"),
    "progress_item_required": (
        ", påkrevde {required_answered} av {required_total}",
        ", obligatoriske {required_answered} av {required_total}",
    ),
    "continue": ("Fortsett på skjemaet", "Hald fram med skjemaet"),
    "begin": ("Begynn på skjemaet", "Byrj på skjemaet"),
    # section page
    "section_position": ("Del {number} av {total}", "Del {number} av {total}"),
    "progress_section": (
        "Besvart {answered} av {total} spørsmål i denne delen",
        "Svart på {answered} av {total} spørsmål i denne delen",
    ),
    "progress_section_required": (
        " · påkrevde: {required_answered} av {required_total}",
        " · obligatoriske: {required_answered} av {required_total}",
    ),
    "look_at_this": ("Dette må dere se på", "Dette må de sjå på"),
    "colleague_saved_other": ("en kollega har lagret et annet svar", "ein kollega har lagra eit anna svar"),
    "previous_section": ("Forrige del", "Førre del"),
    "save": ("Lagre", "Lagre"),
    "next_section": ("Neste del", "Neste del"),
    "summary": ("Oppsummering", "Oppsummering"),
    "required_mark": ("(må besvares)", "(må svarast på)"),
    "other_describe": ("Hvis «Annet»: beskriv kort", "Viss «Anna»: skildre kort"),
    "dont_know": ("Vet ikke", "Veit ikkje"),
    # an export's codebook
    "code_integer": ("heltall", "heiltal"),
    "code_min": ("minst {n}", "minst {n}"),
    "code_max": ("høyst {n}", "høgst {n}"),
    "code_unit": ("enhet: {unit}", "eining: {unit}"),
    "code_free_text": ("fritekst", "fritekst"),
    "code_other_text": ("fritekst (beskriver «Annet»)", "fritekst (skildrar «Anna»)"),
    "code_many": ("flere valg skilles med «{sep}»", "fleire val er skilde med «{sep}»"),
    "code_ranked": (
        "i prioritert rekkefølge, skilt med «{sep}»",
        "i prioritert rekkjefølgje, skilde med «{sep}»",
    ),
    "prefilled": (
        "Fylt ut på forhånd med tallet fylkeskommunen har i bosettingshistorikken: {value} for {year}. "
        "Bekreft tallet, eller rett det hvis vedtaket sier noe annet.",
        "Fylt ut på førehand med talet fylkeskommunen har i busetjingshistorikken: {value} for {year}. "
        "Stadfest talet, eller rett det dersom vedtaket seier noko anna.",
    ),
    "confirm_prefilled": ("Bekreft tallet", "Stadfest talet"),
    "no_such_section": ("Denne delen av skjemaet finnes ikke.", "Denne delen av skjemaet finst ikkje."),
    "no_such_question": (
        "Spørsmålet finnes ikke i dette skjemaet.",
        "Spørsmålet finst ikkje i dette skjemaet.",
    ),
    "not_applicable": ("Ikke aktuelt", "Ikkje aktuelt"),
    "intermunicipal": ("Løses interkommunalt", "Løyst interkommunalt"),
    "as_of": ("Svar ut fra situasjonen per {date}.", "Svar ut frå situasjonen per {date}."),
    "ranking_help": (
        "Velg inntil {limit}, det viktigste først. Velg hvert alternativ bare én gang.",
        "Vel inntil {limit}, det viktigaste først. Vel kvart alternativ berre éin gong.",
    ),
    "ranking_place": ("{place}. prioritet", "{place}. prioritet"),
    "ranking_none": ("Ikke valgt", "Ikkje valt"),
    "ranked_twice": (
        "Samme alternativ er valgt på to plasser. Velg et annet, eller la plassen stå tom.",
        "Same alternativ er valt på to plassar. Vel eit anna, eller lat plassen stå tom.",
    ),
    "other": ("Annet", "Anna"),
    "yes": ("Ja", "Ja"),
    "partly": ("Delvis", "Delvis"),
    "no": ("Nei", "Nei"),
    "not_answered": ("Ikke besvart", "Ikkje svart på"),
    "a_colleague": ("En kollega", "Ein kollega"),
    "changed_by": ("{who} har endret dette svaret", "{who} har endra dette svaret"),
    "their_value": ("Lagret kl. {time}: «{value}».", "Lagra kl. {time}: «{value}»."),
    "yours_kept": (
        "Det som står i feltet, er ikke lagret. Velg hvilket svar som skal gjelde.",
        "Det som står i feltet, er ikkje lagra. Vel kva svar som skal gjelde.",
    ),
    "keep_mine": ("Lagre mitt svar", "Lagre svaret mitt"),
    "use_stored": ("Bruk det lagrede svaret", "Bruk det lagra svaret"),
    "saved_at": ("Lagret kl. {time}", "Lagra kl. {time}"),
    "saved_needs_fix": (
        "Lagret kl. {time}, men svaret må rettes før innsending.",
        "Lagra kl. {time}, men svaret må rettast før innsending.",
    ),
    # review and submit
    "must_fix": ("Dette må rettes før dere kan sende inn", "Dette må rettast før de kan sende inn"),
    "fill_missing": ("Fyll inn det som mangler", "Fyll inn det som manglar"),
    # Before any attempt to submit, what is left is an overview, not an error.
    "missing_heading": ("Dette mangler før dere kan sende inn", "Dette manglar før de kan sende inn"),
    "missing_count": (
        "{missing} spørsmål må besvares",
        "{missing} spørsmål må svarast på",
    ),
    "invalid_count": ("{invalid} svar må rettes", "{invalid} svar må rettast"),
    "missing_and": ("og", "og"),
    "ready_heading": ("Klart til innsending", "Klart til innsending"),
    "nothing_missing": (
        "Alt som må besvares, er besvart. Se over svarene, og send inn nederst på siden.",
        "Alt som må svarast på, er svart på. Sjå over svara, og send inn nedst på sida.",
    ),
    "change_in": ("Endre svar i «{title}»", "Endre svar i «{title}»"),
    "approve_heading": ("Godkjenn og send inn", "Godkjenn og send inn"),
    "approve_text": (
        "Svaret sendes inn på vegne av {name} kommune. Den som godkjenner, er normalt en leder. Etter "
        "innsending kan svaret ikke endres uten at fylkeskommunen åpner det igjen.",
        "Svaret blir sendt inn på vegner av {name} kommune. Den som godkjenner, er normalt ein leiar. Etter "
        "innsending kan ikkje svaret endrast utan at fylkeskommunen opnar det igjen.",
    ),
    "signer_name": ("Navn på den som godkjenner", "Namnet til den som godkjenner"),
    "signer_role": ("Stilling eller rolle", "Stilling eller rolle"),
    "submit": ("Send inn svaret", "Send inn svaret"),
    "signer_name_missing": (
        "Skriv navnet til den som godkjenner svaret.",
        "Skriv namnet til den som godkjenner svaret.",
    ),
    "signer_name_long": ("Navnet kan ha høyst 200 tegn.", "Namnet kan ha høgst 200 teikn."),
    "signer_role_missing": (
        "Skriv stillingen eller rollen til den som godkjenner, for eksempel kommunalsjef.",
        "Skriv stillinga eller rolla til den som godkjenner, til dømes kommunalsjef.",
    ),
    "signer_role_long": ("Rollen kan ha høyst 200 tegn.", "Rolla kan ha høgst 200 teikn."),
    # receipt
    "thanks": ("Takk! Svaret er sendt inn", "Takk! Svaret er sendt inn"),
    "received_from": (
        "Fylkeskommunen har mottatt svaret fra {name} kommune.",
        "Fylkeskommunen har fått svaret frå {name} kommune.",
    ),
    "receipt": ("Kvittering", "Kvittering"),
    "receipt_municipality": ("Kommune", "Kommune"),
    "receipt_survey": ("Undersøkelse", "Undersøking"),
    "receipt_round": ("Runde", "Runde"),
    "receipt_submitted": ("Sendt inn", "Sendt inn"),
    "receipt_signed": ("Godkjent av", "Godkjend av"),
    "print_receipt": ("Skriv ut kvitteringen", "Skriv ut kvitteringa"),
    "print_hint": (
        "Bruk nettleserens utskrift (Ctrl+P) for å skrive ut eller lagre kvitteringen som PDF.",
        "Bruk utskrifta i nettlesaren (Ctrl+P) for å skrive ut eller lagre kvitteringa som PDF.",
    ),
    # validation and state
    "choose_one": ("Velg et av alternativene.", "Vel eitt av alternativa."),
    "choose_among": ("Velg blant alternativene.", "Vel blant alternativa."),
    "whole_number": (
        "Skriv et helt tall med sifre, for eksempel 12.",
        "Skriv eit heilt tal med siffer, til dømes 12.",
    ),
    "number_min": ("Tallet må være {min} eller høyere.", "Talet må vere {min} eller høgare."),
    "number_max": ("Tallet kan ikke være høyere enn {max}.", "Talet kan ikkje vere høgare enn {max}."),
    "text_too_long": (
        "Teksten har {length} tegn. Den kan ha høyst {limit} tegn; kort den ned.",
        "Teksten har {length} teikn. Han kan ha høgst {limit} teikn; kort han ned.",
    ),
    "answer_required": (
        "Svar på dette spørsmålet før dere sender inn.",
        "Svar på dette spørsmålet før de sender inn.",
    ),
    "describe_other": (
        "«Annet» er valgt. Skriv hva det gjelder.",
        "«Anna» er valt. Skriv kva det gjeld.",
    ),
    "too_large": (
        "Svaret er for langt til å lagres. Kort det ned.",
        "Svaret er for langt til å lagrast. Kort det ned.",
    ),
    "read_only_submitted": (
        "Svaret er sendt inn og kan ikke endres. Ta kontakt med fylkeskommunen hvis noe må rettes.",
        "Svaret er sendt inn og kan ikkje endrast. Ta kontakt med fylkeskommunen dersom noko må rettast.",
    ),
    # e-mail
    "mail_invitation_subject": (
        "Invitasjon: {round} – {municipality} kommune",
        "Invitasjon: {round} – {municipality} kommune",
    ),
    "mail_invitation_body": (
        "Hei!\n\n{county} inviterer {municipality} kommune til å svare på «{round}». Svarene er en del av "
        "kunnskapsgrunnlaget for fylkeskommunens arbeid med integrering og bosetting av flyktninger.\n\n"
        "Svar her: {link}\n\nLenken gjelder bare {municipality} kommune. Del den gjerne med kolleger som skal "
        "bidra; alt lagres underveis, og en leder godkjenner og sender inn til slutt.\n\nFristen er {deadline}."
        "\n\nHilsen\n{county}\n",
        "Hei!\n\n{county} inviterer {municipality} kommune til å svare på «{round}». Svara er ein del av "
        "kunnskapsgrunnlaget for arbeidet fylkeskommunen gjer med integrering og busetjing av flyktningar.\n\n"
        "Svar her: {link}\n\nLenka gjeld berre {municipality} kommune. Del ho gjerne med kollegar som skal "
        "bidra; alt blir lagra undervegs, og ein leiar godkjenner og sender inn til slutt.\n\nFristen er "
        "{deadline}.\n\nHelsing\n{county}\n",
    ),
    "mail_reminder_subject": (
        "Påminnelse: {round} – {municipality} kommune",
        "Påminning: {round} – {municipality} kommune",
    ),
    "mail_reminder_body": (
        "Hei!\n\nVi har ennå ikke fått svaret fra {municipality} kommune på «{round}». Fristen er {deadline}."
        "\n\nSvar her: {link}\n\nHar dere begynt, ligger alt dere har lagret, der fortsatt.\n\nHilsen\n"
        "{county}\n",
        "Hei!\n\nVi har enno ikkje fått svaret frå {municipality} kommune på «{round}». Fristen er {deadline}."
        "\n\nSvar her: {link}\n\nHar de byrja, ligg alt de har lagra, der framleis.\n\nHelsing\n{county}\n",
    ),
    "read_only_closed": (
        "Runden er avsluttet, og svaret kan ikke lenger endres.",
        "Runden er avslutta, og svaret kan ikkje lenger endrast.",
    ),
    # several invitations in one browser
    "confirm_open_title": ("Åpne skjemaet for {name} kommune?", "Opne skjemaet for {name} kommune?"),
    "confirm_open_text": (
        "Denne nettleseren har allerede åpent:",
        "Denne nettlesaren har allereie ope:",
    ),
    "confirm_open_why": (
        "Lenken du fulgte, gjelder {name} kommune. Åpne den bare hvis du skal svare for {name} kommune også. "
        "Skjemaene du har åpent, virker som før.",
        "Lenka du følgde, gjeld {name} kommune. Opne ho berre dersom du skal svare for {name} kommune også. "
        "Skjemaa du har opne, verkar som før.",
    ),
    "confirm_open_button": ("Åpne skjemaet for {name} kommune", "Opne skjemaet for {name} kommune"),
    "confirm_open_back": ("Fortsett på {form}", "Hald fram med {form}"),
    "choose_title": ("Hvilket skjema vil du fortsette på?", "Kva skjema vil du halde fram med?"),
    "choose_text": (
        "Denne nettleseren har flere skjemaer åpne. Velg det du vil fortsette på.",
        "Denne nettlesaren har fleire skjema opne. Vel det du vil halde fram med.",
    ),
    # question limits (max_choices on a multiple choice, «Vet ikke» beside a number)
    "max_choices_help": ("Velg inntil {limit}.", "Vel inntil {limit}."),
    # a matrix wider than a phone scrolls sideways; say so where it is cut off
    "matrix_scroll_hint": (
        "Tabellen har {count} svaralternativer. Rull sidelengs for å se alle.",
        "Tabellen har {count} svaralternativ. Rull sidelengs for å sjå alle.",
    ),
    "too_many_choices": (
        "Velg inntil {limit}. Det er krysset av for {chosen}.",
        "Vel inntil {limit}. Det er kryssa av for {chosen}.",
    ),
    "number_or_dont_know": (
        "Skriv et tall eller kryss av for «Vet ikke», ikke begge.",
        "Skriv eit tal eller kryss av for «Veit ikkje», ikkje begge.",
    ),
    # the blank questionnaire to print (documents/blank_form.py)
    "blank_link": ("Skriv ut tomt skjema (PDF)", "Skriv ut tomt skjema (PDF)"),
    "blank_kind": ("Tomt skjema", "Tomt skjema"),
    "blank_printed": ("Skrevet ut {date}", "Skrive ut {date}"),
    "blank_purpose": (
        "Her er alle spørsmålene i skjemaet, slik at dere kan forberede svaret sammen i kommunen.",
        "Her er alle spørsmåla i skjemaet, slik at de kan førebu svaret saman i kommunen.",
    ),
    "blank_submit_online": (
        "Svaret sendes inn i nettskjemaet med lenken fra fylkeskommunen. Det som skrives på papiret, "
        "blir ikke registrert.",
        "Svaret blir sendt inn i nettskjemaet med lenka frå fylkeskommunen. Det som blir skrive på "
        "papiret, blir ikkje registrert.",
    ),
    "blank_required": (
        "Spørsmål merket «må besvares» må ha et svar før dere kan sende inn. Noen spørsmål gjelder bare "
        "hvis dere har svart på en bestemt måte på et tidligere spørsmål; det står da under spørsmålet.",
        "Spørsmål merkte «må svarast på» må ha eit svar før de kan sende inn. Nokre spørsmål gjeld berre "
        "viss de har svart på ein bestemd måte på eit tidlegare spørsmål; det står då under spørsmålet.",
    ),
    "blank_ranking": (
        "Skriv 1 ved det viktigste, 2 ved det nest viktigste og så videre, inntil {limit}.",
        "Skriv 1 ved det viktigaste, 2 ved det nest viktigaste og så vidare, inntil {limit}.",
    ),
    "blank_choose_one": ("Kryss av for ett svar.", "Kryss av for eitt svar."),
    "blank_choose_many": ("Kryss av for alle som passer.", "Kryss av for alle som passar."),
    "blank_choose_per_row": ("Kryss av for ett svar på hver linje.", "Kryss av for eitt svar på kvar linje."),
    "blank_integer": ("Skriv et helt tall.", "Skriv eit heilt tal."),
    "blank_integer_between": (
        "Skriv et helt tall fra {min} til {max}.",
        "Skriv eit heilt tal frå {min} til {max}.",
    ),
    "blank_integer_min": (
        "Skriv et helt tall, {min} eller høyere.",
        "Skriv eit heilt tal, {min} eller høgare.",
    ),
    "blank_integer_max": ("Skriv et helt tall, høyst {max}.", "Skriv eit heilt tal, høgst {max}."),
    "blank_max_length": ("Høyst {limit} tegn.", "Høgst {limit} teikn."),
    "blank_condition": ("Svar bare hvis {condition}.", "Svar berre viss {condition}."),
    "blank_answered": (
        "dere svarte {answers} på spørsmål {number}",
        "de svarte {answers} på spørsmål {number}",
    ),
    "blank_ticked": (
        "dere krysset av for {answers} på spørsmål {number}",
        "de kryssa av for {answers} på spørsmål {number}",
    ),
    "blank_or": ("eller", "eller"),
    "blank_and": ("og", "og"),
}


def t(key: str, lang: str = "nb", **fields: Any) -> str:
    """The text for ``key`` in bokmål (``nb``) or nynorsk (``nn``), with its fields filled in."""
    nb, nn = TEXTS[key]
    text = nn if lang == "nn" else nb
    return text.format(**fields) if fields else text


@pass_context
def template_t(context: Context, key: str, **fields: Any) -> str:
    """``{{ t("key") }}`` in a template: the language is the context's ``lang`` (bokmål when absent)."""
    return t(key, str(context.get("lang", "nb")), **fields)
