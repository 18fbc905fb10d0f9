import { registry } from "@web/core/registry";

function connectSteps(expectedState) {
    return [
        {
            content: "Not connected yet: the icon is white",
            trigger: ".o_k2_cc_presence[data-state='off']",
            run: "click",
        },
        {
            content: "Connect to the contact center",
            trigger: ".o_k2_cc_connect",
            run: "click",
        },
        {
            content: `The icon shows ${expectedState}`,
            trigger: `.o_k2_cc_presence[data-state='${expectedState}']`,
        },
    ];
}

function disconnectSteps() {
    return [
        {
            trigger: ".o_k2_cc_presence",
            run: "click",
        },
        {
            content: "Disconnect",
            trigger: ".o_k2_cc_disconnect",
            run: "click",
        },
        {
            content: "Back to white",
            trigger: ".o_k2_cc_presence[data-state='off']",
        },
    ];
}

registry.category("web_tour.tours").add("k2_cc_presence_connected_tour", {
    url: "/odoo",
    steps: () => [...connectSteps("connected"), ...disconnectSteps()],
});

registry.category("web_tour.tours").add("k2_cc_presence_failing_tour", {
    url: "/odoo",
    steps: () => [
        ...connectSteps("failing"),
        {
            content: "Hovering tells why it is orange",
            trigger: ".o_k2_cc_presence[title*='Authentication failed']",
        },
        ...disconnectSteps(),
    ],
});
