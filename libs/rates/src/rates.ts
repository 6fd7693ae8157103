/**
 * The rates of DOMAIN.md, computed from counts. Each count is attributed to the Vietnam day of the business
 * timestamp of the event that makes it true, and every rate pairs counts from one cohort so it stays in [0, 1]:
 *
 * - submission cohort (day of dossier.submitted submittedAt): submitted, submittedOnline, withFee, paidOnline,
 *   waived, endToEnd, identityRejected;
 * - reception cohort (day of case.received receivedAt): received, and receivedCompleted (of those, completed so far);
 * - completion day (case.completed completedAt): completed, completedOnTime, digitised;
 * - rating day (case.rated ratedAt): rated, satisfied;
 * - overdue: open cases whose due date has passed at query time (not tied to the period).
 *
 * Definitions:
 * - completion = receivedCompleted / received (of the cases received in the period, the share resolved);
 * - onTime = completedOnTime / completed;
 * - endToEnd = dossiers of a fully online (FULL, toàn trình) procedure submitted ONLINE, paid online or waived, and
 *   completed with a digital result document / submitted (a PARTIAL procedure has a step in person by definition);
 * - onlineSubmission = submittedOnline / submitted;
 * - onlinePayment = paidOnline / withFee, where "with a fee" means a fee was actually charged (payment.requested
 *   or payment.completed seen): waived (exempted) dossiers and those that ended before payment have nothing to pay;
 * - digitisation = completed dossiers that had at least one attachment (digitised dossier) AND a digital result
 *   document / completed — the texts measure digitisation of dossiers and results together;
 * - satisfaction = ratings ≥ 4 / ratings.
 *
 * The metrics service counts and computes them; the simulator and the portal read them over HTTP, so the names
 * and the shapes are defined here once. No framework imports: it runs in Node and in the browser.
 */

/** Every count of a rates row, in the order the metrics service selects and answers them. */
export const COUNT_NAMES = [
  'submitted',
  'submittedOnline',
  'identityRejected',
  'withFee',
  'paidOnline',
  'waived',
  'endToEnd',
  'received',
  'receivedCompleted',
  'completed',
  'completedOnTime',
  'digitised',
  'rated',
  'satisfied',
  'overdue',
] as const;
export type CountName = (typeof COUNT_NAMES)[number];
export type RateCounts = Record<CountName, number>;

/** Every rate, in the order `computeRates` answers them. */
export const RATE_NAMES = [
  'completion',
  'onTime',
  'endToEnd',
  'onlineSubmission',
  'onlinePayment',
  'digitisation',
  'satisfaction',
] as const;
export type RateName = (typeof RATE_NAMES)[number];
/** A rate is null when there is nothing to measure (no denominator), never 0 % by accident. */
export type Rates = Record<RateName, number | null>;

/** A rating at or above this score counts as satisfied. */
export const SATISFIED_FROM_SCORE = 4;

/** numerator / denominator, or null when there is nothing to measure (never 0 % or NaN by accident). */
export function ratio(numerator: number, denominator: number): number | null {
  if (denominator <= 0) return null;
  if (numerator < 0 || numerator > denominator) {
    throw new RangeError(`inconsistent counts: ${numerator} of ${denominator}`);
  }
  return numerator / denominator;
}

/**
 * Each rate as the two counts it divides: the formula as data, so a screen can show "11/14" beside "78.6 %" and
 * sum rows before dividing with the very definition the service computes with.
 */
export const RATE_PARTS: Readonly<Record<RateName, { numerator: CountName; denominator: CountName }>> = {
  completion: { numerator: 'receivedCompleted', denominator: 'received' },
  onTime: { numerator: 'completedOnTime', denominator: 'completed' },
  endToEnd: { numerator: 'endToEnd', denominator: 'submitted' },
  onlineSubmission: { numerator: 'submittedOnline', denominator: 'submitted' },
  onlinePayment: { numerator: 'paidOnline', denominator: 'withFee' },
  digitisation: { numerator: 'digitised', denominator: 'completed' },
  satisfaction: { numerator: 'satisfied', denominator: 'rated' },
};

export function computeRates(c: RateCounts): Rates {
  return Object.fromEntries(
    RATE_NAMES.map((r) => [r, ratio(c[RATE_PARTS[r].numerator], c[RATE_PARTS[r].denominator])]),
  ) as Rates;
}

export function zeroCounts(): RateCounts {
  return Object.fromEntries(COUNT_NAMES.map((n) => [n, 0])) as RateCounts;
}
