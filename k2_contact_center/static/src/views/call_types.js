/**
 * Received, missed and outgoing calls, in the order and the colours every
 * screen of the Contact Center shows them in (home, call history badges,
 * dashboards): a manager reads every chart the same way.
 */
export const CALL_TYPES = ["received", "missed", "outgoing"];
export const CALL_TYPE_COLORS = { received: "#28a745", missed: "#dc3545", outgoing: "#017e84" };
