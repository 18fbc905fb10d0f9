import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

registry.category("web_tour.tours").add("k2_cc_recording_tour", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            trigger: ".o_app[data-menu-xmlid='k2_contact_center.k2_cc_menu_root']",
            run: "click",
        },
        {
            trigger: ".o_menu_sections [data-menu-xmlid='k2_contact_center.k2_cc_call_menu']",
            run: "click",
        },
        {
            content: "Play the recording from the call history",
            trigger: ".o_list_view .o_data_row:contains('Recorded Customer') button[name='action_play_recording']",
            run: "click",
        },
        {
            content: "The browser plays the MP3: it knows its length (about a second)",
            trigger: ".modal audio.o_k2_cc_recording",
            async run() {
                const audio = this.anchor;
                if (!(audio.readyState >= 1)) {
                    await new Promise((resolve, reject) => {
                        audio.addEventListener("loadedmetadata", resolve, { once: true });
                        audio.addEventListener("error", () => reject(new Error("the recording does not play")), {
                            once: true,
                        });
                    });
                }
                if (!(audio.duration > 0.5 && audio.duration < 2)) {
                    throw new Error(`unexpected recording length ${audio.duration}`);
                }
            },
        },
        {
            trigger: ".modal .modal-footer button:contains('Close')",
            run: "click",
        },
        { trigger: "body:not(:has(.modal))" },
    ],
});
