import { registry } from "@web/core/registry";

/**
 * Driven by TestWallboardUi: console lines starting with "k2cc-wb " tell the
 * Python side where the tour is; the PBX simulator then plays its part and
 * the bridge's bus updates move the wallboard.
 */
const QUEUE = ".o_k2_cc_wb_queue[data-queue='support']";

function say(word) {
    return { content: `Tell the PBX: ${word}`, trigger: "body", run: () => console.log(`k2cc-wb ${word}`) };
}

registry.category("web_tour.tours").add("k2_cc_wallboard_live_tour", {
    url: "/odoo/contact-center-wallboard",
    steps: () => [
        {
            content: "The queue shows, nobody waits, both agents free",
            trigger: `${QUEUE} .o_k2_cc_wb_waiting:contains(0)`,
        },
        { trigger: `${QUEUE} .o_k2_cc_wb_free:contains(2)` },
        { trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='free']" },
        say("ready"),
        {
            content: "A caller waits in the queue: counted",
            trigger: `${QUEUE} .o_k2_cc_wb_waiting:contains(1)`,
            timeout: 20000,
        },
        { trigger: ".o_k2_cc_wb_call[data-state='waiting'] .o_k2_cc_wb_caller:contains(603555777)" },
        {
            content: "The longest wait ticks",
            trigger: `${QUEUE} .o_k2_cc_wb_longest:not(:contains(–))`,
        },
        {
            content: "The agent answers: nobody waits, the agent is in a call",
            trigger: ".o_k2_cc_wb_call[data-state='talking']",
            timeout: 45000, // the caller waits 20 s, then the agent's phone rings up to 12 s
        },
        { trigger: `${QUEUE} .o_k2_cc_wb_waiting:contains(0)` },
        { trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='in_call']" },
        { trigger: `${QUEUE} .o_k2_cc_wb_busy:contains(1)` },
        say("hangup"),
        {
            content: "The call ended: answered today counts it, the service level shows",
            trigger: `${QUEUE} .o_k2_cc_wb_answered:contains(1)`,
            timeout: 20000,
        },
        { trigger: `${QUEUE} .o_k2_cc_wb_sl:contains(100 %)` },
        { trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='free']" },
        {
            content: "Full screen for the wall",
            trigger: ".o_k2_cc_wb_fullscreen",
            run: "click",
        },
        { trigger: ".o_k2_cc_wallboard.o_k2_cc_wallboard_fullscreen" },
        say("screenshot"),
        { trigger: ".o_k2_cc_wallboard[data-updates]" },
    ],
});

registry.category("web_tour.tours").add("k2_cc_wallboard_systray_pause_tour", {
    url: "/odoo/contact-center-wallboard",
    steps: () => [
        { trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='free']" },
        {
            content: "The agent opens their systray menu",
            trigger: ".o_k2_cc_presence",
            run: "click",
        },
        { trigger: ".o_k2_cc_queue_row[data-queue='support'][data-member='1'][data-paused='0']" },
        {
            content: "Pick the reason",
            trigger: "select.o_k2_cc_pause_reason",
            run: "selectByLabel Lunch",
        },
        {
            content: "Pause in the queue",
            trigger: ".o_k2_cc_queue_row[data-queue='support'] .o_k2_cc_queue_pause",
            run: "click",
        },
        {
            content: "The PBX confirmed: paused for lunch",
            trigger: ".o_k2_cc_queue_row[data-queue='support'][data-paused='1'] .o_k2_cc_queue_status:contains(Lunch)",
            timeout: 20000,
        },
        {
            content: "The wallboard follows",
            trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='paused'] .o_k2_cc_wb_reason:contains(Lunch)",
            timeout: 20000,
        },
        { trigger: `${QUEUE} .o_k2_cc_wb_paused:contains(1)` },
        {
            content: "Resume",
            trigger: ".o_k2_cc_queue_row[data-queue='support'] .o_k2_cc_queue_resume",
            run: "click",
        },
        {
            trigger: ".o_k2_cc_queue_row[data-queue='support'][data-paused='0'][data-pending='']",
            timeout: 20000,
        },
        {
            content: "The wallboard follows again",
            trigger: ".o_k2_cc_wb_agent[data-agent='Wall Agent'][data-state='free']",
            timeout: 20000,
        },
        { trigger: `${QUEUE} .o_k2_cc_wb_paused:contains(0)` },
    ],
});

registry.category("web_tour.tours").add("k2_cc_wallboard_manager_pause_tour", {
    url: "/odoo/contact-center-wallboard",
    steps: () => [
        {
            content: "The manager pauses the other agent",
            trigger: ".o_k2_cc_wb_agent[data-agent='Second Agent'][data-state='free'] .o_k2_cc_wb_pause",
            run: "click",
        },
        {
            trigger: ".o_k2_cc_wb_reason_item:contains(Training)",
            run: "click",
        },
        {
            content: "The PBX confirmed: the agent is paused for training",
            trigger: ".o_k2_cc_wb_agent[data-agent='Second Agent'][data-state='paused'] .o_k2_cc_wb_reason:contains(Training)",
            timeout: 20000,
        },
        {
            content: "and resumed by the manager",
            trigger: ".o_k2_cc_wb_agent[data-agent='Second Agent'] .o_k2_cc_wb_resume",
            run: "click",
        },
        {
            trigger: ".o_k2_cc_wb_agent[data-agent='Second Agent'][data-state='free']",
            timeout: 20000,
        },
    ],
});
