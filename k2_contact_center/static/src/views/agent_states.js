import { _t } from "@web/core/l10n/translation";

/** An agent's state in one word, as the wallboard and the call card's colleague list show it. */
export const AGENT_STATES = {
    free: _t("Free"),
    ringing: _t("Ringing"),
    in_call: _t("In a call"),
    on_hold: _t("On hold"),
    paused: _t("Paused"),
    unavailable: _t("Unavailable"),
    unknown: _t("Unknown"),
};
