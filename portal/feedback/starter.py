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

TECHNICAL = {
    "en": ("Technical interview", [
        ("Technical depth", "Knows the tools and ideas of the field in depth.", 2, [
            "Cannot explain the basics of their own work.",
            "Explains what they did, but not why.",
            "Explains how and why, and the limits of their choices.",
            "Explains trade-offs in depth and connects them to the wider field."], [
            "Walk us through a system you built. Why was it built that way?",
            "What would break first if it had ten times the load?"]),
        ("Problem solving", "Breaks a new problem down and tests ideas.", 2, [
            "Got stuck without a way forward.",
            "Found a way with strong hints.",
            "Found a sound way on their own and checked it.",
            "Found a clean way, compared alternatives and checked edge cases."], [
            "Here is a small problem from our daily work: how would you go about it?"]),
        ("Quality and care", "Tests, reviews and leaves things better than found.", 1, [
            "No sign of testing or review.",
            "Tests when asked.",
            "Tests and reviews as a habit.",
            "Improves the team's practices around quality."], [
            "How do you know your code works? Tell us about a bug that got away."]),
        ("Learning", "Learns new things quickly and shares them.", 1, [
            "No recent example of learning something new.",
            "Learns when the job demands it.",
            "Seeks out new knowledge and applies it.",
            "Learns fast and teaches others."], [
            "What did you learn most recently, and how?"]),
    ]),
    "sv": ("Teknisk intervju", [
        ("Teknisk djup", "Kan verktygen och idéerna inom området på djupet.", 2, [
            "Kan inte förklara grunderna i sitt eget arbete.",
            "Förklarar vad hen gjorde men inte varför.",
            "Förklarar hur och varför, och var valen har sina gränser.",
            "Förklarar avvägningar på djupet och sätter dem i ett större sammanhang."], [
            "Berätta om ett system du byggt. Varför byggdes det så?",
            "Vad skulle gå sönder först med tio gånger så mycket last?"]),
        ("Problemlösning", "Bryter ner ett nytt problem och prövar idéer.", 2, [
            "Fastnade utan väg framåt.",
            "Hittade en väg med tydliga ledtrådar.",
            "Hittade en bra väg själv och kontrollerade den.",
            "Hittade en ren lösning, jämförde alternativ och tänkte på kantfall."], [
            "Här är ett litet problem från vår vardag: hur skulle du gå till väga?"]),
        ("Kvalitet och omsorg", "Testar, granskar och lämnar saker bättre än hen fann dem.", 1, [
            "Inga tecken på testning eller granskning.",
            "Testar när hen blir ombedd.",
            "Testar och granskar av vana.",
            "Förbättrar teamets arbetssätt kring kvalitet."], [
            "Hur vet du att din kod fungerar? Berätta om en bugg som slank igenom."]),
        ("Lärande", "Lär sig nytt snabbt och delar med sig.", 1, [
            "Inget färskt exempel på att ha lärt sig något nytt.",
            "Lär sig när jobbet kräver det.",
            "Söker ny kunskap och använder den.",
            "Lär sig snabbt och lär andra."], [
            "Vad lärde du dig senast, och hur?"]),
    ]),
}

LIBRARY = {"general": GENERAL, "technical": TECHNICAL}
