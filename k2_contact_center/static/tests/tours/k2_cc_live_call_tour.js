import { registry } from "@web/core/registry";

/**
 * Driven by TestLiveCallUi: the PBX simulator rings the agent's line once the
 * tour says "k2cc-ready"; the bridge writes the call and the bus brings the
 * card. Console lines starting with "k2cc-" are read by the Python side.
 */
function watchCards() {
    const seen = new Set();
    const stamp = () => {
        for (const card of document.querySelectorAll(".o_k2_cc_call_card")) {
            const key = card.dataset.pbxCallId;
            if (key && !seen.has(key)) {
                seen.add(key);
                console.log(`k2cc-card-shown ${key} ${Date.now()}`);
            }
        }
    };
    new MutationObserver(stamp).observe(document.body, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ["data-pbx-call-id"],
    });
}

registry.category("web_tour.tours").add("k2_cc_live_call_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Not connected yet",
            trigger: ".o_k2_cc_presence[data-state='off']",
            run: "click",
        },
        {
            trigger: ".o_k2_cc_connect",
            run: "click",
        },
        {
            content: "Connected: ready for calls",
            trigger: ".o_k2_cc_presence[data-state='connected']",
            run() {
                watchCards();
                console.log("k2cc-ready");
            },
        },
        {
            content: "The PBX rings the line: the card shows who calls",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact:contains('Antonín Dvořák')",
            timeout: 20000,
        },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_kind:contains('Mobile')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_partner:contains('Dvořák a syn')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_type:contains('Incoming call')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_user:contains('Live Agent')" },
        {
            content: "What helps the agent: last contact, opportunities, amount due",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_last:contains('Received')",
        },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_opportunities:contains('1 ·')" },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_due:contains('1,250.00')" },
        {
            content: "The customer picked up",
            trigger: ".o_k2_cc_call_card[data-state='talking']",
            timeout: 20000,
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_note",
            run: "edit Asks for the delivery date of the 20 pumps",
        },
        {
            trigger: ".o_k2_cc_call_card[data-state='talking']",
            run() {
                console.log("k2cc-screenshot call_card");
            },
        },
        {
            content: "Give the screenshot time to be taken before anything moves",
            trigger: "body",
            run: () => new Promise((resolve) => setTimeout(resolve, 600)),
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_save:enabled",
            run: "click",
        },
        { trigger: ".o_k2_cc_call_card .o_k2_cc_card_saved" },
        {
            content: "Open the contact",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_contact",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains('delivery date of the 20 pumps')",
        },
        {
            content: "Call the mobile with one click",
            trigger: ".o_form_view .o_field_widget[name='mobile'] input",
            // the field's own Call link (shown on hover), still a tel: link: the click dials through the PBX
            run: "click .o_form_view .o_field_widget[name='mobile'] a.o_phone_form_link[href^='tel:']",
        },
        {
            content: "The outgoing card shows the originate at once",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_originate",
        },
        {
            trigger: ".o_k2_cc_call_card:has(.o_k2_cc_card_originate) .o_k2_cc_card_contact:contains('Antonín Dvořák')",
        },
        {
            content: "Your phone answered, the customer too",
            trigger: ".o_k2_cc_call_card .o_k2_cc_card_originate[data-stage='answered']",
            timeout: 20000,
        },
    ],
});
