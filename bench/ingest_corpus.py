"""The synthetic news corpus of bench/ingest.py: feeds (RSS 2.0 and Atom) and article pages in six
languages, about video-conferencing security or about something else, drawn from a seeded random
generator so that every run serves the same bytes (but for the server's port in the links).

Sentences are put together from a subject, a predicate and a tail, each drawn from a list per
language and topic, with names, places and numbers in slots: thousands of sentences per language,
so that two unrelated items share some stock phrases (as news does) but seldom a whole story.
Planted on top: near-duplicates (a story republished by another feed with a new headline and a
footer) and the same article linked by a second feed with tracking parameters.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

LANGUAGES = ("en", "en", "en", "nl", "fr", "de", "es", "it")
PLATFORMS = ("Zoom", "Microsoft Teams", "Google Meet", "Webex", "Zoom", "Skype")
# Shares of items: about video-conferencing security, planted near-duplicates, utm links.
SECURITY_SHARE = 0.4
NEAR_DUPLICATE_SHARE = 0.05
UTM_DUPLICATE_SHARE = 0.03
NEWEST = datetime(2026, 10, 1, 12, tzinfo=UTC)

TEXT = {
    "en": {
        "adverbs": [
            "also",
            "again",
            "now",
            "still",
            "already",
            "apparently",
            "reportedly",
            "once more",
            "quietly",
            "openly",
            "finally",
            "suddenly",
            "recently",
            "clearly",
            "indeed",
            "officially",
            "largely",
            "partly",
        ],
        "sec_subject": [
            "Security researchers at {org}",
            "A spokesperson for {platform}",
            "The school board of {city}",
            "Investigators in {city}",
            "Several customers of {platform}",
            "An analyst at {org}",
            "The data protection authority",
            "Hospital staff in {city}",
        ],
        "sec_predicate": [
            "found a flaw in the {platform} client that exposed {n} meeting recordings",
            "warned that uninvited guests had disrupted an online class using {platform}",
            "confirmed that {n} passwords of {platform} accounts had leaked",
            "said a patch for the waiting room vulnerability in {platform} was now available",
            "reported a phishing campaign that imitates {platform} meeting invitations",
            "said the encryption of {platform} calls was weaker than the company advertised",
            "described how intruders joined a private {platform} meeting without a password",
            "asked the company behind {platform} to explain how recordings ended up online",
        ],
        "sec_tail": [
            "on {weekday}.",
            "last week.",
            "according to a statement.",
            "after complaints from parents.",
            "in a report published on {weekday}.",
            "and urged hosts to update their software.",
        ],
        "other_subject": [
            "The city council of {city}",
            "Farmers near {city}",
            "The national weather service",
            "Fans of the local football club",
            "The central bank",
            "Organisers of the summer festival in {city}",
            "Railway workers",
            "Residents of {city}",
        ],
        "other_predicate": [
            "approved a budget of {n} million for new cycle lanes",
            "expect heavy rain and strong winds for the coming days",
            "celebrated as both teams finished the season with a draw",
            "kept interest rates unchanged for the {n}th month in a row",
            "sold {n} tickets within an hour of the opening",
            "announced a strike over wages and working hours",
            "complained about the noise from the new motorway",
            "said the harvest was smaller than last year because of the drought",
        ],
        "other_tail": [
            "on {weekday}.",
            "this weekend.",
            "according to local media.",
            "despite protests from the opposition.",
            "for the first time in years.",
            "at a meeting in the town hall.",
        ],
        "sec_title": [
            "{platform} fixes flaw that exposed {n} meetings",
            "Intruders disrupt online class in {city}",
            "Warning over fake {platform} invitations",
            "{org} finds weakness in {platform} encryption",
            "Leaked {platform} passwords sold online",
        ],
        "other_title": [
            "Storm expected in {city} this weekend",
            "Council of {city} approves new budget",
            "Festival in {city} sold out in an hour",
            "Central bank keeps rates on hold",
            "Rail strike announced for {weekday}",
        ],
        "footer": "This story first appeared on {publisher}. Republished with permission.",
        "orgs": ["the FBI", "Citizen Lab", "Check Point", "the NCSC", "Kaspersky", "CISA"],
        "cities": ["Manchester", "Boston", "Leeds", "Denver", "Glasgow", "Austin", "Bristol"],
        "weekdays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    },
    "nl": {
        "adverbs": [
            "ook",
            "opnieuw",
            "nu",
            "nog",
            "al",
            "kennelijk",
            "naar verluidt",
            "nogmaals",
            "stilletjes",
            "openlijk",
            "uiteindelijk",
            "plotseling",
            "onlangs",
            "duidelijk",
            "inderdaad",
            "officieel",
            "grotendeels",
            "deels",
        ],
        "sec_subject": [
            "Beveiligingsonderzoekers van {org}",
            "Een woordvoerder van {platform}",
            "Het schoolbestuur in {city}",
            "Rechercheurs in {city}",
            "Verschillende gebruikers van {platform}",
            "Een analist van {org}",
            "De Autoriteit Persoonsgegevens",
            "Ziekenhuispersoneel in {city}",
        ],
        "sec_predicate": [
            "ontdekten een lek in de {platform}-app waardoor {n} opnames van vergaderingen "
            "openbaar waren",
            "waarschuwden dat ongenode gasten een online les via {platform} hadden verstoord",
            "bevestigden dat {n} wachtwoorden van {platform}-accounts waren uitgelekt",
            "zeiden dat er een update is voor het lek in de wachtkamer van {platform}",
            "meldden een phishingcampagne die uitnodigingen van {platform} nabootst",
            "stelden dat de versleuteling van gesprekken in {platform} zwakker is dan beloofd",
            "beschreven hoe indringers zonder wachtwoord een besloten vergadering binnenkwamen",
            "vroegen het bedrijf achter {platform} uit te leggen hoe opnames online kwamen",
        ],
        "sec_tail": [
            "op {weekday}.",
            "vorige week.",
            "volgens een verklaring.",
            "na klachten van ouders.",
            "in een rapport dat {weekday} verscheen.",
            "en riepen gebruikers op hun software bij te werken.",
        ],
        "other_subject": [
            "De gemeenteraad van {city}",
            "Boeren rond {city}",
            "Het KNMI",
            "Supporters van de plaatselijke voetbalclub",
            "De Nederlandsche Bank",
            "De organisatie van het zomerfestival in {city}",
            "Medewerkers van de spoorwegen",
            "Bewoners van {city}",
        ],
        "other_predicate": [
            "keurde een budget van {n} miljoen goed voor nieuwe fietspaden",
            "verwacht de komende dagen veel regen en harde wind",
            "vierden feest nadat beide teams het seizoen met een gelijkspel afsloten",
            "hield de rente voor de {n}e maand op rij ongewijzigd",
            "verkocht binnen een uur {n} kaartjes",
            "kondigden een staking aan over lonen en werktijden",
            "klaagden over het lawaai van de nieuwe snelweg",
            "zeiden dat de oogst door de droogte kleiner is dan vorig jaar",
        ],
        "other_tail": [
            "op {weekday}.",
            "dit weekend.",
            "volgens lokale media.",
            "ondanks protest van de oppositie.",
            "voor het eerst in jaren.",
            "tijdens een bijeenkomst in het stadhuis.",
        ],
        "sec_title": [
            "{platform} dicht lek dat {n} vergaderingen blootlegde",
            "Indringers verstoren online les in {city}",
            "Waarschuwing voor valse uitnodigingen van {platform}",
            "{org} vindt zwakte in versleuteling van {platform}",
            "Gelekte wachtwoorden van {platform} online te koop",
        ],
        "other_title": [
            "Storm verwacht in {city} dit weekend",
            "Gemeenteraad {city} keurt nieuwe begroting goed",
            "Festival in {city} binnen een uur uitverkocht",
            "Centrale bank laat rente ongemoeid",
            "Spoorstaking aangekondigd voor {weekday}",
        ],
        "footer": "Dit artikel verscheen eerder bij {publisher}. Overgenomen met toestemming.",
        "orgs": ["het NCSC", "Citizen Lab", "Check Point", "de politie", "Fox-IT", "de AIVD"],
        "cities": ["Utrecht", "Groningen", "Eindhoven", "Zwolle", "Leiden", "Gent", "Tilburg"],
        "weekdays": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"],
    },
    "fr": {
        "adverbs": [
            "aussi",
            "encore",
            "désormais",
            "toujours",
            "déjà",
            "apparemment",
            "semble-t-il",
            "une fois de plus",
            "discrètement",
            "ouvertement",
            "finalement",
            "soudain",
            "récemment",
            "clairement",
            "en effet",
            "officiellement",
            "largement",
            "en partie",
        ],
        "sec_subject": [
            "Des chercheurs en sécurité de {org}",
            "Un porte-parole de {platform}",
            "La direction du lycée de {city}",
            "Des enquêteurs de {city}",
            "Plusieurs utilisateurs de {platform}",
            "Un analyste de {org}",
            "La CNIL",
            "Le personnel de l'hôpital de {city}",
        ],
        "sec_predicate": [
            "ont découvert une faille dans l'application {platform} qui exposait {n} "
            "enregistrements de réunions",
            "ont averti que des intrus avaient perturbé un cours en ligne sur {platform}",
            "ont confirmé la fuite de {n} mots de passe de comptes {platform}",
            "a indiqué qu'un correctif pour la faille de la salle d'attente de {platform} "
            "était disponible",
            "ont signalé une campagne d'hameçonnage qui imite les invitations de {platform}",
            "a estimé que le chiffrement des appels de {platform} était plus faible qu'annoncé",
            "ont décrit comment des intrus sont entrés dans une réunion privée sans mot de passe",
            "a demandé à l'entreprise derrière {platform} d'expliquer la fuite des enregistrements",
        ],
        "sec_tail": [
            "{weekday}.",
            "la semaine dernière.",
            "selon un communiqué.",
            "après des plaintes de parents d'élèves.",
            "dans un rapport publié {weekday}.",
            "et a invité les utilisateurs à mettre à jour leur logiciel.",
        ],
        "other_subject": [
            "Le conseil municipal de {city}",
            "Les agriculteurs autour de {city}",
            "Météo-France",
            "Les supporters du club de football local",
            "La Banque de France",
            "Les organisateurs du festival d'été de {city}",
            "Les cheminots",
            "Les habitants de {city}",
        ],
        "other_predicate": [
            "a voté un budget de {n} millions d'euros pour de nouvelles pistes cyclables",
            "prévoit de fortes pluies et des vents violents pour les prochains jours",
            "ont fait la fête après le match nul qui a clos la saison des deux équipes",
            "a maintenu ses taux pour le {n}e mois consécutif",
            "ont vendu {n} billets en moins d'une heure",
            "ont annoncé une grève sur les salaires et le temps de travail",
            "se sont plaints du bruit de la nouvelle autoroute",
            "ont déclaré que la récolte était plus faible que l'an dernier à cause de la "
            "sécheresse",
        ],
        "other_tail": [
            "{weekday}.",
            "ce week-end.",
            "selon la presse locale.",
            "malgré les protestations de l'opposition.",
            "pour la première fois depuis des années.",
            "lors d'une réunion à la mairie.",
        ],
        "sec_title": [
            "{platform} corrige une faille qui exposait {n} réunions",
            "Des intrus perturbent un cours en ligne à {city}",
            "Alerte aux fausses invitations {platform}",
            "{org} trouve une faiblesse dans le chiffrement de {platform}",
            "Des mots de passe {platform} vendus en ligne",
        ],
        "other_title": [
            "Tempête attendue à {city} ce week-end",
            "Le conseil de {city} adopte son budget",
            "Le festival de {city} complet en une heure",
            "La banque centrale maintient ses taux",
            "Grève des cheminots annoncée pour {weekday}",
        ],
        "footer": "Cet article a d'abord paru sur {publisher}. Reproduit avec autorisation.",
        "orgs": ["l'ANSSI", "Citizen Lab", "Check Point", "la gendarmerie", "Orange Cyberdefense"],
        "cities": ["Lyon", "Nantes", "Lille", "Toulouse", "Rennes", "Bordeaux", "Liège"],
        "weekdays": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
    },
    "de": {
        "adverbs": [
            "auch",
            "erneut",
            "nun",
            "noch",
            "bereits",
            "offenbar",
            "angeblich",
            "wieder einmal",
            "still",
            "offen",
            "schließlich",
            "plötzlich",
            "kürzlich",
            "deutlich",
            "tatsächlich",
            "offiziell",
            "weitgehend",
            "teilweise",
        ],
        "sec_subject": [
            "Sicherheitsforscher von {org}",
            "Ein Sprecher von {platform}",
            "Die Schulleitung in {city}",
            "Ermittler in {city}",
            "Mehrere Nutzer von {platform}",
            "Ein Analyst von {org}",
            "Der Datenschutzbeauftragte des Landes",
            "Mitarbeiter des Krankenhauses in {city}",
        ],
        "sec_predicate": [
            "haben eine Lücke in der {platform}-App gefunden, durch die {n} Aufzeichnungen "
            "von Besprechungen offen lagen",
            "warnten, dass ungebetene Gäste einen Online-Unterricht über {platform} gestört hatten",
            "bestätigten, dass {n} Passwörter von {platform}-Konten abgeflossen sind",
            "erklärte, dass ein Update für die Schwachstelle im Warteraum von {platform} "
            "bereitsteht",
            "meldeten eine Phishing-Kampagne, die Einladungen von {platform} nachahmt",
            "sagte, die Verschlüsselung von Anrufen bei {platform} sei schwächer als versprochen",
            "beschrieben, wie Eindringlinge ohne Passwort in eine private Besprechung kamen",
            "forderte das Unternehmen hinter {platform} auf, die Veröffentlichung der "
            "Aufnahmen zu erklären",
        ],
        "sec_tail": [
            "am {weekday}.",
            "in der vergangenen Woche.",
            "laut einer Mitteilung.",
            "nach Beschwerden von Eltern.",
            "in einem am {weekday} veröffentlichten Bericht.",
            "und riefen dazu auf, die Software zu aktualisieren.",
        ],
        "other_subject": [
            "Der Stadtrat von {city}",
            "Landwirte rund um {city}",
            "Der Deutsche Wetterdienst",
            "Fans des örtlichen Fußballvereins",
            "Die Bundesbank",
            "Die Veranstalter des Sommerfestivals in {city}",
            "Die Beschäftigten der Bahn",
            "Anwohner in {city}",
        ],
        "other_predicate": [
            "hat ein Budget von {n} Millionen Euro für neue Radwege beschlossen",
            "erwartet in den nächsten Tagen starken Regen und heftigen Wind",
            "feierten, nachdem beide Mannschaften die Saison mit einem Unentschieden beendet "
            "hatten",
            "ließ die Zinsen den {n}. Monat in Folge unverändert",
            "haben innerhalb einer Stunde {n} Karten verkauft",
            "kündigten einen Streik wegen Löhnen und Arbeitszeiten an",
            "beschwerten sich über den Lärm der neuen Autobahn",
            "sagten, die Ernte sei wegen der Dürre kleiner als im vergangenen Jahr",
        ],
        "other_tail": [
            "am {weekday}.",
            "an diesem Wochenende.",
            "wie lokale Medien berichten.",
            "trotz Protesten der Opposition.",
            "zum ersten Mal seit Jahren.",
            "bei einer Versammlung im Rathaus.",
        ],
        "sec_title": [
            "{platform} schließt Lücke, die {n} Besprechungen offenlegte",
            "Eindringlinge stören Online-Unterricht in {city}",
            "Warnung vor gefälschten Einladungen von {platform}",
            "{org} findet Schwäche in der Verschlüsselung von {platform}",
            "Gestohlene Passwörter von {platform} im Netz verkauft",
        ],
        "other_title": [
            "Sturm in {city} am Wochenende erwartet",
            "Stadtrat von {city} beschließt neuen Haushalt",
            "Festival in {city} in einer Stunde ausverkauft",
            "Bundesbank lässt Zinsen unverändert",
            "Bahnstreik für {weekday} angekündigt",
        ],
        "footer": "Dieser Artikel erschien zuerst bei {publisher}. Nachdruck mit Genehmigung.",
        "orgs": ["dem BSI", "Citizen Lab", "Check Point", "der Polizei", "dem CCC", "G Data"],
        "cities": ["Leipzig", "Bremen", "Kassel", "Münster", "Freiburg", "Graz", "Zürich"],
        "weekdays": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
    },
    "es": {
        "adverbs": [
            "también",
            "de nuevo",
            "ahora",
            "todavía",
            "ya",
            "al parecer",
            "según parece",
            "otra vez",
            "discretamente",
            "abiertamente",
            "finalmente",
            "de repente",
            "recientemente",
            "claramente",
            "en efecto",
            "oficialmente",
            "en gran parte",
            "en parte",
        ],
        "sec_subject": [
            "Investigadores de seguridad de {org}",
            "Un portavoz de {platform}",
            "La dirección del colegio de {city}",
            "Los investigadores de {city}",
            "Varios usuarios de {platform}",
            "Un analista de {org}",
            "La Agencia Española de Protección de Datos",
            "El personal del hospital de {city}",
        ],
        "sec_predicate": [
            "encontraron un fallo en la aplicación de {platform} que dejaba expuestas {n} "
            "grabaciones de reuniones",
            "advirtieron de que unos intrusos habían interrumpido una clase en línea en {platform}",
            "confirmaron la filtración de {n} contraseñas de cuentas de {platform}",
            "dijo que ya está disponible un parche para la vulnerabilidad de la sala de espera "
            "de {platform}",
            "denunciaron una campaña de phishing que imita las invitaciones de {platform}",
            "afirmó que el cifrado de las llamadas de {platform} era más débil de lo anunciado",
            "explicaron cómo unos intrusos entraron sin contraseña en una reunión privada",
            "pidió a la empresa responsable de {platform} que explicara cómo se publicaron "
            "las grabaciones",
        ],
        "sec_tail": [
            "el {weekday}.",
            "la semana pasada.",
            "según un comunicado.",
            "tras las quejas de los padres.",
            "en un informe publicado el {weekday}.",
            "y pidieron a los usuarios que actualicen el programa.",
        ],
        "other_subject": [
            "El ayuntamiento de {city}",
            "Los agricultores de los alrededores de {city}",
            "La Agencia Estatal de Meteorología",
            "Los aficionados del equipo de fútbol local",
            "El Banco de España",
            "Los organizadores del festival de verano de {city}",
            "Los trabajadores del ferrocarril",
            "Los vecinos de {city}",
        ],
        "other_predicate": [
            "aprobó un presupuesto de {n} millones de euros para nuevos carriles bici",
            "prevé fuertes lluvias y rachas de viento para los próximos días",
            "celebraron el empate con el que ambos equipos cerraron la temporada",
            "mantuvo los tipos de interés por {n}º mes consecutivo",
            "vendieron {n} entradas en menos de una hora",
            "convocaron una huelga por los salarios y la jornada laboral",
            "se quejaron del ruido de la nueva autopista",
            "dijeron que la cosecha fue menor que el año pasado por la sequía",
        ],
        "other_tail": [
            "el {weekday}.",
            "este fin de semana.",
            "según la prensa local.",
            "pese a las protestas de la oposición.",
            "por primera vez en años.",
            "en una reunión en el ayuntamiento.",
        ],
        "sec_title": [
            "{platform} corrige un fallo que expuso {n} reuniones",
            "Intrusos interrumpen una clase en línea en {city}",
            "Alerta por falsas invitaciones de {platform}",
            "{org} detecta una debilidad en el cifrado de {platform}",
            "Contraseñas de {platform} a la venta en internet",
        ],
        "other_title": [
            "Se espera una tormenta en {city} este fin de semana",
            "El ayuntamiento de {city} aprueba el presupuesto",
            "El festival de {city} agota las entradas en una hora",
            "El banco central mantiene los tipos",
            "Huelga de trenes convocada para el {weekday}",
        ],
        "footer": "Este artículo se publicó primero en {publisher}. Reproducido con permiso.",
        "orgs": ["el INCIBE", "Citizen Lab", "Check Point", "la Guardia Civil", "ESET"],
        "cities": ["Valencia", "Sevilla", "Bilbao", "Zaragoza", "Málaga", "Granada", "Murcia"],
        "weekdays": ["lunes", "martes", "miércoles", "jueves", "viernes"],
    },
    "it": {
        "adverbs": [
            "anche",
            "di nuovo",
            "ora",
            "ancora",
            "già",
            "a quanto pare",
            "pare",
            "ancora una volta",
            "discretamente",
            "apertamente",
            "infine",
            "improvvisamente",
            "di recente",
            "chiaramente",
            "infatti",
            "ufficialmente",
            "in gran parte",
            "in parte",
        ],
        "sec_subject": [
            "I ricercatori di sicurezza di {org}",
            "Un portavoce di {platform}",
            "La dirigenza scolastica di {city}",
            "Gli investigatori di {city}",
            "Diversi utenti di {platform}",
            "Un analista di {org}",
            "Il Garante per la protezione dei dati personali",
            "Il personale dell'ospedale di {city}",
        ],
        "sec_predicate": [
            "hanno scoperto una falla nell'app di {platform} che esponeva {n} registrazioni "
            "di riunioni",
            "hanno avvertito che degli intrusi avevano disturbato una lezione online su {platform}",
            "hanno confermato la fuga di {n} password di account {platform}",
            "ha detto che è disponibile una patch per la vulnerabilità della sala d'attesa di "
            "{platform}",
            "hanno segnalato una campagna di phishing che imita gli inviti di {platform}",
            "ha affermato che la crittografia delle chiamate di {platform} era più debole del "
            "previsto",
            "hanno descritto come degli intrusi sono entrati senza password in una riunione "
            "privata",
            "ha chiesto all'azienda di {platform} di spiegare come le registrazioni siano "
            "finite in rete",
        ],
        "sec_tail": [
            "{weekday}.",
            "la settimana scorsa.",
            "secondo un comunicato.",
            "dopo le proteste dei genitori.",
            "in un rapporto pubblicato {weekday}.",
            "e hanno invitato gli utenti ad aggiornare il software.",
        ],
        "other_subject": [
            "Il consiglio comunale di {city}",
            "Gli agricoltori intorno a {city}",
            "Il servizio meteorologico nazionale",
            "I tifosi della squadra di calcio locale",
            "La Banca d'Italia",
            "Gli organizzatori del festival estivo di {city}",
            "I ferrovieri",
            "Gli abitanti di {city}",
        ],
        "other_predicate": [
            "ha approvato un bilancio di {n} milioni di euro per nuove piste ciclabili",
            "prevede piogge intense e forti venti per i prossimi giorni",
            "hanno festeggiato il pareggio con cui le due squadre hanno chiuso la stagione",
            "ha lasciato invariati i tassi per il {n}º mese consecutivo",
            "hanno venduto {n} biglietti in meno di un'ora",
            "hanno proclamato uno sciopero per i salari e l'orario di lavoro",
            "si sono lamentati del rumore della nuova autostrada",
            "hanno detto che il raccolto è stato più scarso dell'anno scorso per la siccità",
        ],
        "other_tail": [
            "{weekday}.",
            "questo fine settimana.",
            "secondo la stampa locale.",
            "nonostante le proteste dell'opposizione.",
            "per la prima volta da anni.",
            "durante una riunione in municipio.",
        ],
        "sec_title": [
            "{platform} corregge una falla che esponeva {n} riunioni",
            "Intrusi disturbano una lezione online a {city}",
            "Allarme per falsi inviti di {platform}",
            "{org} trova una debolezza nella crittografia di {platform}",
            "Password di {platform} in vendita in rete",
        ],
        "other_title": [
            "Tempesta attesa a {city} nel fine settimana",
            "Il consiglio di {city} approva il bilancio",
            "Il festival di {city} esaurito in un'ora",
            "La banca centrale lascia i tassi invariati",
            "Sciopero dei treni proclamato per {weekday}",
        ],
        "footer": "Questo articolo è apparso prima su {publisher}. Riprodotto con permesso.",
        "orgs": ["l'ACN", "Citizen Lab", "Check Point", "la Polizia Postale", "Yoroi"],
        "cities": ["Bologna", "Torino", "Firenze", "Genova", "Verona", "Bari", "Padova"],
        "weekdays": ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì"],
    },
}


@dataclass
class Item:
    """One feed item and its article page."""

    guid: str
    path: str  # the article page's path on the server
    link_query: str  # appended to the link in the feed (tracking parameters)
    title: str
    summary: list[str]  # sentences
    body: list[str]  # the page's further sentences
    published: datetime
    author: str
    category: str


@dataclass
class FeedDoc:
    """One feed: its items and how it is written."""

    number: int
    language: str
    atom: bool
    declares_language: bool
    publisher: str
    items: list[Item] = field(default_factory=list)


class Writer:
    """Sentences, titles and stories in one language."""

    def __init__(self, rng: random.Random, language: str) -> None:
        self.rng = rng
        self.text = TEXT[language]

    def _fill(self, template: str) -> str:
        rng, text = self.rng, self.text
        return template.format(
            platform=rng.choice(PLATFORMS),
            org=rng.choice(text["orgs"]),
            city=rng.choice(text["cities"]),
            weekday=rng.choice(text["weekdays"]),
            n=rng.randint(2, 4000),
        )

    def sentence(self, topic: str) -> str:
        text = self.text
        parts = (
            self.rng.choice(text[f"{topic}_subject"]),
            self.rng.choice(text[f"{topic}_predicate"]),
            self.rng.choice(text[f"{topic}_tail"]),
        )
        words = " ".join(parts).split(" ")
        # Adverbs at random places: two stories built from the same clauses still differ in most
        # of their three-word runs, as two reports of similar events do.
        for _ in range(self.rng.randint(2, 3)):
            words.insert(self.rng.randrange(1, len(words)), self.rng.choice(text["adverbs"]))
        return self._fill(" ".join(words))

    def title(self, topic: str) -> str:
        return self._fill(self.rng.choice(self.text[f"{topic}_title"]))

    def story(self, topic: str, sentences: int) -> list[str]:
        other = "other" if topic == "sec" else "sec"
        # A story on one topic now and then mentions the other in passing.
        return [
            self.sentence(other if self.rng.random() < 0.1 else topic) for _ in range(sentences)
        ]


def corpus_build(*, feeds: int, items: int, seed: int, first: int = 0) -> list[FeedDoc]:
    """``feeds`` feeds of ``items`` items each, numbered from ``first``."""
    rng = random.Random(seed)
    docs = []
    stories: dict[str, list[Item]] = {}  # by language, for near-duplicates
    for number in range(first, first + feeds):
        language = rng.choice(LANGUAGES)
        doc = FeedDoc(
            number=number,
            language=language,
            atom=number % 2 == 1,
            declares_language=rng.random() < 0.7,
            publisher=f"Bench News {number}",
        )
        writer = Writer(rng, language)
        for i in range(items):
            published = NEWEST - timedelta(hours=number * 0.37 + i * rng.uniform(0.5, 3.0) + i)
            pool = stories.setdefault(language, [])
            roll = rng.random()
            if roll < NEAR_DUPLICATE_SHARE and pool:
                # A wire story republished: a new headline, a footer, one sentence dropped.
                source = rng.choice(pool)
                footer = writer.text["footer"].format(publisher=f"Bench News {number}")
                summary = [*source.summary, footer]
                body = list(source.body)
                if len(body) > 3:
                    del body[rng.randrange(len(body))]
                topic, query = source.category, ""
                title = writer.title(topic)
                path = f"/a/{number}/{i}"
            elif roll < NEAR_DUPLICATE_SHARE + UTM_DUPLICATE_SHARE and pool:
                # Another feed's article, linked with tracking parameters.
                source = rng.choice(pool)
                topic, title, summary, body = (
                    source.category,
                    source.title,
                    source.summary,
                    source.body,
                )
                path = source.path
                query = f"?utm_source=feed{number}&utm_medium=rss&utm_campaign=bench"
            else:
                topic = "sec" if rng.random() < SECURITY_SHARE else "other"
                title = writer.title(topic)
                summary = writer.story(topic, rng.randint(3, 6))
                body = writer.story(topic, rng.randint(6, 12))
                path, query = f"/a/{number}/{i}", ""
            item = Item(
                guid=f"tag:bench.example,2026:{number}/{i}",
                path=path,
                link_query=query,
                title=title,
                summary=summary,
                body=body,
                published=published,
                author=f"Author {rng.randint(1, 40)}",
                category=topic,
            )
            if not query:
                pool.append(item)
            doc.items.append(item)
        docs.append(doc)
    return docs


def feed_bytes(doc: FeedDoc, base: str) -> bytes:
    """The feed as RSS 2.0 or Atom, links absolute under ``base`` (http://host:port)."""
    if doc.atom:
        return _atom(doc, base).encode()
    return _rss(doc, base).encode()


def _summary_html(item: Item) -> str:
    return "".join(f"<p>{escape(sentence)}</p>" for sentence in item.summary)


def _rss(doc: FeedDoc, base: str) -> str:
    language = f"<language>{doc.language}</language>" if doc.declares_language else ""
    entries = "".join(
        "<item>"
        f"<title>{escape(item.title)}</title>"
        f"<link>{escape(base + item.path + item.link_query)}</link>"
        f'<guid isPermaLink="false">{item.guid}</guid>'
        f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
        f"<author>{escape(item.author)}</author>"
        f"<category>{item.category}</category>"
        f"<description>{escape(_summary_html(item))}</description>"
        "</item>\n"
        for item in doc.items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{doc.publisher}</title><link>{base}/</link>"
        f"<description>News from {doc.publisher}</description>{language}<ttl>15</ttl>\n"
        f"{entries}</channel></rss>\n"
    )


def _atom(doc: FeedDoc, base: str) -> str:
    language = f' xml:lang="{doc.language}"' if doc.declares_language else ""
    updated = doc.items[0].published.isoformat() if doc.items else NEWEST.isoformat()
    entries = "".join(
        "<entry>"
        f'<title type="text">{escape(item.title)}</title>'
        f"<id>{item.guid}</id>"
        f'<link rel="alternate" href="{escape(base + item.path + item.link_query)}"/>'
        f"<published>{item.published.isoformat()}</published>"
        f"<updated>{item.published.isoformat()}</updated>"
        f"<author><name>{escape(item.author)}</name></author>"
        f'<category term="{item.category}"/>'
        f'<summary type="html">{escape(_summary_html(item))}</summary>'
        "</entry>\n"
        for item in doc.items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'
        f"{language}><title>{doc.publisher}</title><id>{base}/feed/{doc.number}</id>"
        f'<link rel="alternate" href="{base}/"/><updated>{updated}</updated>\n'
        f"{entries}</feed>\n"
    )


def page_bytes(doc: FeedDoc, item: Item) -> bytes:
    """The article page: navigation and footer around the story, metadata in the head."""
    paragraphs = "".join(f"<p>{escape(s)}</p>" for s in [*item.summary, *item.body])
    related = "".join(f'<li><a href="/a/{doc.number}/{n}">Related {n}</a></li>' for n in range(6))
    return (
        f'<!doctype html><html lang="{doc.language}"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)} | {doc.publisher}</title>"
        f'<meta property="og:site_name" content="{doc.publisher}">'
        f'<meta name="author" content="{escape(item.author)}">'
        f'<meta property="article:published_time" content="{item.published.isoformat()}">'
        "</head><body><nav><a href='/'>Home</a> | <a href='/world'>World</a> | "
        "<a href='/tech'>Tech</a></nav>"
        f"<main><article><h1>{escape(item.title)}</h1>"
        f'<p class="byline">{escape(item.author)}</p>{paragraphs}</article>'
        f"<aside><ul>{related}</ul></aside></main>"
        f"<footer>Copyright {doc.publisher}. All rights reserved.</footer></body></html>"
    ).encode()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
