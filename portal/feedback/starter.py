"""A small library of starter kits, in Swedish and English. A kit copies one of these and
is then the opening's own to edit."""

from __future__ import annotations

# (name, description, weight, anchors for 1..4, questions)
GENERAL = {
    "en": ("General interview", [
        ("Problem solving", "Breaks a problem down and reasons to a sound answer.", 2, [
            "Could not structure the problem, even with help.",
            "Reached an answer with a lot of help; reasoning had gaps.",
            "Structured the problem and reached a sound answer on their own.",
            "Structured it clearly, weighed alternatives and explained trade-offs."], [
            "Tell us about a hard problem you solved at work. How did you go about it?",
            "What would you do differently today?"]),
        ("Collaboration", "Works well with others and handles disagreement.", 1, [
            "Examples show working alone or blaming others.",
            "Works with others when asked; little sign of handling conflict.",
            "Concrete examples of helping others and resolving a disagreement.",
            "Has made a team better; resolves conflict and lifts others."], [
            "Tell us about a disagreement in a team and how it was resolved."]),
        ("Communication", "Explains clearly to the listener at hand.", 1, [
            "Hard to follow; did not answer the questions asked.",
            "Understandable, but rambling or imprecise.",
            "Clear and to the point; checked that they were understood.",
            "Clear, concise and adapted to the listener throughout."], [
            "Explain something from your field to someone outside it."]),
        ("Role knowledge", "Has the skills the role needs.", 2, [
            "Lacks the basics the role requires.",
            "Has some of what is needed; would need a lot of support.",
            "Has what the role needs now.",
            "Goes beyond what the role needs; could teach others."], [
            "Which parts of the role do you know well, and which would be new?"]),
    ]),
    "sv": ("Allmän intervju", [
        ("Problemlösning", "Bryter ner ett problem och resonerar sig fram till ett bra svar.", 2, [
            "Kunde inte strukturera problemet, inte ens med hjälp.",
            "Nådde ett svar med mycket hjälp; resonemanget hade luckor.",
            "Strukturerade problemet och nådde ett bra svar på egen hand.",
            "Strukturerade tydligt, vägde alternativ och förklarade avvägningar."], [
            "Berätta om ett svårt problem du löst i jobbet. Hur gick du till väga?",
            "Vad skulle du göra annorlunda i dag?"]),
        ("Samarbete", "Fungerar väl med andra och hanterar oenighet.", 1, [
            "Exemplen visar att hen arbetar ensam eller skyller på andra.",
            "Samarbetar när hen ombeds; lite som visar hur konflikter hanteras.",
            "Konkreta exempel på att hjälpa andra och lösa en oenighet.",
            "Har gjort ett team bättre; löser konflikter och lyfter andra."], [
            "Berätta om en oenighet i ett team och hur den löstes."]),
        ("Kommunikation", "Förklarar tydligt för den som lyssnar.", 1, [
            "Svårt att följa; svarade inte på frågorna.",
            "Begripligt men svävande eller oprecist.",
            "Tydligt och rakt på sak; kontrollerade att hen blev förstådd.",
            "Tydligt, koncist och anpassat till lyssnaren hela tiden."], [
            "Förklara något från ditt område för någon utanför det."]),
        ("Kunskap för rollen", "Har de färdigheter rollen kräver.", 2, [
            "Saknar grunderna rollen kräver.",
            "Har en del av det som behövs; skulle behöva mycket stöd.",
            "Har det rollen kräver i dag.",
            "Går längre än rollen kräver; skulle kunna lära andra."], [
            "Vilka delar av rollen kan du väl, och vilka vore nya?"]),
    ]),
}
