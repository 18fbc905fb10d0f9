import { registry } from "@web/core/registry";

/**
 * Driven by tests/test_transfer_ui.py (TestTransferUi): the agent talks with a
 * known caller through the PBX simulator, writes a note, and hands the call
 * to a free colleague; the colleague's card opens with the caller and the note.
 */
function startTransfer(note) {
    return [
        {
            content: "The call in progress, the caller identified",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_contact:contains('Bedřich Smetana')",
        },
        {
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_note",
            run: `edit ${note}`,
        },
        {
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_transfer",
            run: "click",
        },
        {
            content: "The colleague is listed with their live state",
            trigger: ".o_k2_cc_transfer_colleague[data-extension='202'][data-state='free'] .o_k2_cc_transfer_state:contains('Free')",
        },
        {
            trigger: ".o_k2_cc_transfer_search",
            run: "edit Colleague",
        },
        {
            content: "The search keeps the colleague",
            trigger: ".o_k2_cc_transfer_panel:not(:has(.o_k2_cc_transfer_queue)) .o_k2_cc_transfer_colleague:contains('Colleague Agent')",
        },
    ];
}

registry.category("web_tour.tours").add("k2_cc_blind_transfer_tour", {
    url: "/odoo",
    steps: () => [
        ...startTransfer("Wants 20 pumps, send an offer"),
        {
            trigger: ".o_k2_cc_transfer_colleague[data-extension='202'] .o_k2_cc_transfer_blind",
            run: "click",
        },
        {
            content: "The call goes on with the colleague: the agent's part is over",
            trigger: ".o_k2_cc_call_card[data-state='transferred'] .o_k2_cc_card_transferred:contains('Colleague Agent')",
        },
    ],
});

registry.category("web_tour.tours").add("k2_cc_attended_transfer_tour", {
    url: "/odoo",
    steps: () => [
        ...startTransfer("VIP customer, be nice"),
        {
            trigger: ".o_k2_cc_transfer_colleague[data-extension='202'] .o_k2_cc_transfer_attended",
            run: "click",
        },
        {
            content: "The caller waits while the agent talks with the colleague",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_consulting:contains('Colleague Agent')",
        },
        {
            trigger: ".o_k2_cc_call_card .o_k2_cc_transfer_complete",
            run: "click",
        },
        {
            content: "The colleague has the caller now",
            trigger: ".o_k2_cc_call_card[data-state='transferred'] .o_k2_cc_card_transferred",
        },
    ],
});

/** The colleague's screen: the card of the handed call, with the caller and the note. */
registry.category("web_tour.tours").add("k2_cc_transfer_received_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "The card says who handed the call over",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_handed:contains('Transferring Agent')",
        },
        {
            content: "The caller is already identified",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_contact:contains('Bedřich Smetana')",
        },
        {
            content: "The note written so far is on the card",
            trigger: ".o_k2_cc_call_card[data-state='talking'] .o_k2_cc_card_note",
            run() {
                const handed = ["Wants 20 pumps, send an offer", "VIP customer, be nice"];
                if (!handed.includes(this.anchor.value)) {
                    throw new Error(`the handed note is missing: "${this.anchor.value}"`);
                }
            },
        },
    ],
});
