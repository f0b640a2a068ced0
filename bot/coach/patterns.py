"""The surface signs a practised reader looks for: numbers, dates, roles, needs, phases, APIs.

Kept in one place so segmentation (which step is this sentence?) and the per-step reading
(does this step do its job?) agree on what a date or a persona looks like.
"""
from __future__ import annotations

import re

from bot.content import STEPS

_I = re.IGNORECASE
NUMBER = re.compile(r"\d|\b(?:half|halve|halved|double|doubled|triple|twice|one|two|three|four|five|six|seven|eight|"
                    r"nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|billion|"
                    r"zero|single)\b", _I)
DATE = re.compile(r"\b(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen|next|this|"
                  r"first|second|third|each|every|per)[\s-]+(?:full\s+)?(?:hours?|days?|weeks?|months?|quarters?|years?|sprints?)\b"
                  r"|\bQ[1-4]\b|\bH[12]\b|\b20\d\d\b|\bend of (?:the )?(?:year|quarter|month)\b"
                  r"|\b(?:quarterly|monthly|weekly|annually|yearly|daily)\b"
                  r"|\b(?:by|before|after|within) (?:launch|ga|general availability|go-live|renewal|the deadline)\b"
                  r"|\b\d+\s*(?:hours?|days?|weeks?|months?|quarters?|years?)\b", _I)
ROLE = re.compile(r"\b(?:(?:backend|frontend|mobile|app|platform|integration|solutions?|support|sales|security|it|"
                  r"compliance|fraud|risk|finance|product|marketing|growth|data|qa|devops|ops|operations|network|"
                  r"billing|procurement|legal|quality|contact[- ]cent(?:re|er)|call[- ]cent(?:re|er)|account|"
                  r"customer|end|business|clinic|store|branch|field|campaign|regional)\s+)?"
                  r"(?:developers?|devs|engineers?|integrators?|programmers?|admins?|administrators?|operators?|"
                  r"agents?|supervisors?|managers?|leads?|owners?|buyers?|analysts?|officers?|teams?|architects?|"
                  r"users?|end[- ]users?|customers?|consumers?|patients?|callers?|recipients?|subscribers?|"
                  r"shoppers?|merchants?|sellers?|drivers?|riders?|hosts?|guests?|students?|teachers?|doctors?|"
                  r"nurses?|clinicians?|reviewers?|clients?|advisors?|advisers?|sponsors?|planners?|schedulers?|"
                  r"pharmacists?|employees?|members?|partners?|resellers?|isvs?|startups?|"
                  r"enterprises?|smbs?|marketers?|auditors?|regulators?|dpos?|cisos?|ctos?|cfos?|vps?|executives?|"
                  r"decision[- ]makers?|founders?|finance|legal|procurement|sres?|on-call|dispatchers?|"
                  r"technicians?|travell?ers?|borrowers?|accountholders?|account holders?|cardholders?|citizens?|"
                  r"residents?|tenants?|brands?|carriers?|vendors?|suppliers?|couriers?|coaches?|reps?|"
                  r"representatives?|staff|people|humans?|organi[sz]ations?|companies|providers?|banks?|"
                  r"fintechs?|retailers?|marketplaces?|hospitals?|pharmacies|clinics|schools?|airlines?)\b", _I)
NEED = re.compile(r"\b(?:needs?|needed|wants?|care(?:s)? about|cares|must|expects?|requires?|struggles?|"
                  r"worr(?:y|ies|ied)|pain|so (?:they|that)|has to|have to|asks? for|looking for|rel(?:y|ies) on|"
                  r"fears?|frustrat\w*|hates?|loses?|spends?|cannot|can't|wish(?:es)?|prefers?|value[s]?|"
                  r"to (?:know|see|keep|avoid|stop|get|find|trust|prove|control|meet|cut|reduce|understand))\b"
                  r"|\s[—–:]\s|:\s", _I)
PHASE = re.compile(r"\b(?:v[1-4]|mvp|phase\s*(?:[1-4]|one|two|three)|(?:first|second|third) (?:release|phase|step)|"
                   r"later|then|next|after that|afterwards|follow-up|in parallel|pilot|beta|rollout|roll out|"
                   r"milestone|iteration|stage\s*\d)\b", _I)
PHASE_ID = re.compile(r"\b(v[1-4]|phase\s*(?:[1-4]|one|two|three)|mvp|pilot|beta|later|next|then)\b", _I)
API = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE)\s+/|/v\d+/|\bapi\b|\bendpoints?\b|\bwebhooks?\b|\bsdks?\b|"
                 r"\bcallbacks?\b|\b[a-z]+_[a-z_]+\b|\bstatus codes?\b|\b[1-5]\d\d\b", _I)
API_FULL = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE)\s+/", _I)
STATUS = re.compile(r"\b(?:200|201|202|204|400|401|403|404|409|413|422|429|500|503)\b")
PRODUCT = re.compile(r"\b(?:beta|early access|general availability|ga|pricing|docs|documentation|enablement|component|console|dashboard|page|screen|settings?|toggle|report|alerts?|templates?|flow|ui|button|"
                     r"wizard|feature|tool|view|inbox|queue|rule|rules|policy|policies|workflow|form|editor|"
                     r"library|integration|connector|plugin|widget|panel|notification|export|import|portal|"
                     r"app|checklist|playbook|score|model|classifier|routing|fallback|cache|limit)\b", _I)
FAILURE = re.compile(r"\b(?:retr(?:y|ies)|idempoten\w*|fallbacks?|signed|hmac|rate[- ]limit\w*|timeouts?|"
                     r"back-?off|dead[- ]letter|failover|rollback|circuit|degrad\w*|reconcil\w*)\b", _I)
CHOICE = re.compile(r"\b(?:decid\w*|decision|priorit[iy]\w*|i'?d choose|choose|pick|go with|recommend\w*|i would (?:do|build|ship|start)|"
                    r"i'?d (?:do|build|ship|start)|first|ahead of|over|rather than|before)\b", _I)
GIVE_UP = re.compile(r"\b(?:give up|gives up|giving up|trade-?offs?|at the cost|cost of|defer\w*|delay\w*|depriorit\w*|"
                     r"postpone\w*|instead of|not now|accept\w*|sacrific\w*|risk\w*|wait\w*|push(?:ed)? back|"
                     r"slip\w*|later|less|lose|losing|rather than)\b", _I)
KPI = re.compile(r"\b(?:kpis?|metrics?|rate|ratio|share|percentage|latency|p9[59]|uptime|nps|csat|conversion|"
                 r"retention|churn|adoption|tickets?|time to|time-to|revenue|arr|cost|errors?|accuracy|"
                 r"completion|success|delivery|volume|count|minutes|seconds|ms|handle time|aht|fcr|usage|"
                 r"activation|signups?|measure\w*|target\w*)\b|%", _I)
BASELINE = re.compile(r"\bfrom (?:an? )?(?:assumed |estimated |current |today's )?[~$≈]?\d|\bbaseline\b|\btoday\b|"
                      r"\bcurrently\b|\bassumed\b|\bnow at\b|\bstarting (?:point|at)\b|\bvs\.? today\b", _I)
GUARDRAIL = re.compile(r"\bguardrails?\b|\bmust not\b|\bwithout (?:raising|increasing|hurting|worsening|losing|"
                       r"adding|breaking|dropping|more)\b|\bno more than\b|\bnot (?:worse|rise|increase|drop)\b|"
                       r"\bno (?:increase|drop|rise|regression)\b|\bstays? (?:under|below|above|flat|within)\b|"
                       r"\bkeep\w* .{0,40}(?:under|below|above|flat|within)\b|\bcapped\b|\bdoes not (?:rise|grow|drop)\b|"
                       r"\bwhile holding\b|\bhold(?:ing)? .{0,30}(?:flat|steady)\b|\bcounter-?metric\b", _I)
SCOPE = re.compile(r"\b(?:assum\w*|goal|objective|focus\w*|scope|out of scope|problem|constraints?|today|currently|"
                   r"context|we're solving|i'?ll solve|clarif\w*|the ask|in order to|so that we)\b", _I)
ENVIRONMENT = re.compile(r"\b(?:api|backend|app|apps|sdk|console|contact[- ]cent(?:re|er)s?|call[- ]cent(?:re|er)s?|"
                         r"desktop|mobile|web|website|platform|service|services|calls?|sms|whatsapp|voice|email|"
                         r"crm|dashboard|account|accounts|checkout|integration|network|carriers?|markets?|stack|"
                         r"flow|login|sign-?up|channel|channels|numbers?|messages?|messaging|video|chat|ivr|"
                         r"infrastructure|production|region|regions|countries|country|product|portal|dialer|"
                         r"transcripts?|recordings?|meetings?|queue|queues|agent desktop|data|pipeline|billing|invoices?|tickets?|"
                         r"payments?|cards?|pricing|plans?|usage|storage|profiles?|events?|logs?|servers?|media|"
                         r"edges?|pages?|status|monitor\w*|signals?|traffic|routes?|releases?|versions?)\b", _I)
GOAL = re.compile(r"\b(?:goal|objective|aim|target|job|exists to|is for|purpose|so that|in order to|to (?:raise|cut|reduce|increase|halve|double|"
                  r"lift|grow|lower|get|bring|reach|hit|improve)|raise|cut|reduce|increase|halve|double|lift|grow)\b", _I)
STUFFED = re.compile(r"\b(?:scope|segment|solve|score|persona|personas|kpi|kpis|v1|v2|v3|api|trade-?off|target|"
                     r"mvp|guardrail|metric|metrics)\b", _I)


def dated_number(text: str) -> bool:
    """A number and a date in the same sentence: "from 92% to 96% within two quarters"."""
    return any(NUMBER.search(s) and DATE.search(s) for s in re.split(r"(?<=[.!?;\n])\s+", text))


def step_signs(text: str) -> dict[str, float]:
    """How strongly a sentence shows each step's signs (0 to about 3)."""
    scope = 1.0 * bool(SCOPE.search(text)) + 0.5 * bool(GOAL.search(text)) + 0.3 * bool(re.search(r"\bout of scope\b|\bassum", text, _I))
    segment = 1.0 * bool(ROLE.search(text) and NEED.search(text)) + 0.6 * bool(re.search(
        r"\bpersonas?\b|\bsegments?\b|\bneeds?\b|\bcares? about\b|\bwants?\b", text, _I))
    solve = (1.0 * bool(PHASE_ID.search(text)) + 1.0 * bool(API_FULL.search(text) or STATUS.search(text))
             + 0.4 * bool(re.search(r"\b(?:build|ship|launch|add|design|offer|provide|introduce)\b", text, _I))
             + 0.3 * bool(API.search(text))
             # the Solve of a diagnosis, a metrics case, a strategy or a critique (issue 16's families)
             + 2.0 * bool(NORTH_STAR.search(text) or OPTION.search(text) or DECIDING.search(text)))
    score = (1.0 * bool(re.search(r"\bkpis?\b|\bmetrics?\b|\bguardrails?\b|\bbaseline\b|\bsuccess\b|\bmeasure", text, _I))
             + 0.6 * bool(dated_number(text) and KPI.search(text)) + 0.4 * bool(re.search(r"%", text)))
    return dict(zip(STEPS, (scope, segment, solve, score)))

# A sentence that is plainly one of those parts, wherever it stands in an answer with no headings.
DECIDING = re.compile(r"\bhypothes[ie]s\b|\bwhat works\b|\bdoes(?:n't| not) work\b|\bwould change (?:it|my mind)\b|"
                      r"\bi (?:would )?(?:choose|recommend|pick|go with)\b|\bi'd (?:choose|pick|recommend|go with)\b|"
                      r"\bwe (?:would )?give up\b|\bgiv(?:e|es|ing) up\b", _I)
# The parts of a Solve beyond phases, one per family shape (see `steps.SOLVE_PARTS`): the
# signs a reader takes for options weighed, hypotheses with their checks, a north star, and
# a critique's "what works, what doesn't".
OPTION = re.compile(r"\b(?:options?|alternatives?|build(?:,| or| vs\.?| versus) (?:buy|partner)|"
                    r"versus|vs\.?|either|considered|weigh\w*|compared? (?:with|to|against))\b", _I)
HYPOTHESIS = re.compile(r"\b(?:hypothes[ie]s|causes?|caused|root cause|could be|might be|may be|suspect\w*|likely|"
                        r"explain\w*|because of|due to|culprit|candidates?)\b", _I)
CHECK = re.compile(r"\b(?:check\w*|verify|confirm\w*|compare|comparing|look at|slic\w*|split\w*|test\w*|rule (?:it )?(?:in|out)|"
                   r"by (?:country|carrier|channel|version|sdk|region|customer|segment|cohort|queue|route)|"
                   r"before and after|against last|dashboards?|logs?)\b", _I)
NORTH_STAR = re.compile(r"\bnorth[- ]star\b|\bprimary metric\b|\bone metric\b|\bheadline metric\b|\bmetric that matters\b|"
                        r"\binput metrics?\b", _I)
WORKS = re.compile(r"\bworks?\b|\bworking\b|\bdoes well\b|\bgets? right\b|\bstrengths?\b|\bgood\b|\bgreat\b|\bexcellent\b|"
                   r"\blove[sd]?\b|\bclear\b|\bpredictable\b|\bsimple\b|\bfast\b|\beasy\b", _I)
FAILS = re.compile(r"\bdoes(?:n't| not) work\b|\bfails?\b|\bfailing\b|\bbreaks?\b|\bweak\w*\b|\bconfus\w*|\bmissing\b|"
                   r"\bfriction\b|\bpainful\b|\bslow\b|\bcannot\b|\bcan't\b|\bhard\b|\blacks?\b|\bno way\b|\bfrustrat\w*|"
                   r"\bsilent\w*\b|\bwithout warning\b|\bworst\b|\bproblems?\b", _I)
# A target stated against where the metric was ("back to the prior 4-week average within 7 days").
RELATIVE = re.compile(r"\b(?:back to|return(?:s|ing)? to|recover\w* to|no (?:worse|higher|lower) than|at or above|"
                      r"at or below)\b", _I)
# A Score line written as "metric: target" (a form's KPI list, a model outline's).
METRIC_LINE = re.compile(r"^\s*[A-Za-z][^:]{2,100}:\s*\S")
# A diagnosis's Segment: cutting the metric by a dimension until the cause shows.
SLICING = re.compile(r"\bslic\w*|\bsplit\w*|\bbreak (?:it )?down\b|\bbroken down\b|\bsegment\w*|\bcut\b|\bby\b|\bper\b", _I)
SLICE = re.compile(r"\b(?:countr(?:y|ies)|carriers?|channels?|sdk versions?|app versions?|versions?|platforms?|regions?|"
                   r"customers?|accounts?|cohorts?|devices?|os|browsers?|routes?|suppliers?|queues?|plans?|markets?|"
                   r"connections?|identity providers?|endpoints?|languages?|networks?|time of day|hours?)\b", _I)
