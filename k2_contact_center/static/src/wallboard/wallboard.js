import { Component, onMounted, onWillStart, onWillUnmount, useRef, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { AGENT_STATES } from "../views/agent_states";
import { formatDuration } from "../views/duration_field";

// What the bus is asked for: the server turns it into the manager's floors.
const CHANNEL = "k2cc-wallboard";

const CALL_STATES = {
    waiting: _t("Waiting"),
    ringing: _t("Ringing"),
    talking: _t("Talking"),
};

/**
 * The live wallboard of the contact-center floor: per queue the callers
 * waiting and today's service, the calls in progress, every agent's state.
 * The server sends the whole floor over the bus at most twice a second;
 * times tick here, every second, against the server's clock.
 */
export class Wallboard extends Component {
    static template = "k2_contact_center.Wallboard";
    static props = ["*"];
    static components = { Dropdown, DropdownItem };

    setup() {
        this.orm = useService("orm");
        this.busService = useService("bus_service");
        this.notification = useService("notification");
        this.root = useRef("root");
        this.agentStates = AGENT_STATES;
        this.callStates = CALL_STATES;
        this.state = useState({ boards: {}, now: Date.now(), reasons: [], fullscreen: false, updates: 0 });
        this.offset = 0; // server clock minus this browser's, in ms
        this.onBoard = (board) => this.apply(board);
        onWillStart(async () => {
            const [boards, reasons] = await Promise.all([
                this.orm.call("k2.cc.wallboard", "cc_wallboard_data", []),
                this.orm.searchRead("k2.cc.pause.reason", [], ["name"], { limit: 50 }),
            ]);
            boards.forEach((board) => this.apply(board));
            this.state.reasons = reasons;
        });
        onMounted(() => {
            this.busService.subscribe("k2_cc_wallboard", this.onBoard);
            this.busService.addChannel(CHANNEL);
            this.timer = setInterval(() => (this.state.now = Date.now()), 1000);
            this.onFullscreen = () => (this.state.fullscreen = Boolean(document.fullscreenElement));
            document.addEventListener("fullscreenchange", this.onFullscreen);
        });
        onWillUnmount(() => {
            clearInterval(this.timer);
            this.busService.unsubscribe("k2_cc_wallboard", this.onBoard);
            this.busService.deleteChannel(CHANNEL);
            document.removeEventListener("fullscreenchange", this.onFullscreen);
        });
    }

    apply(board) {
        if (board.now) {
            this.offset = deserializeDateTime(board.now).toMillis() - Date.now();
        }
        this.state.boards[board.company_id] = board;
        this.state.updates++;
    }

    get boards() {
        return Object.values(this.state.boards);
    }

    get queues() {
        return this.boards.flatMap((board) => board.queues);
    }

    get calls() {
        return this.boards.flatMap((board) => board.calls);
    }

    get agents() {
        return this.boards.flatMap((board) => board.agents);
    }

    /** h:mm:ss since a server time, ticking. */
    since(stamp) {
        if (!stamp) {
            return "";
        }
        const seconds = (this.state.now + this.offset - deserializeDateTime(stamp).toMillis()) / 1000;
        return formatDuration(Math.max(seconds, 0));
    }

    serviceLevel(queue) {
        return queue.service_level === false ? "–" : `${Math.round(queue.service_level)} %`;
    }

    slClass(queue) {
        if (queue.service_level === false) {
            return "";
        }
        return queue.service_level >= queue.target ? "text-success" : "text-danger";
    }

    async toggleFullscreen() {
        if (document.fullscreenElement) {
            await document.exitFullscreen();
        } else if (this.root.el.requestFullscreen) {
            try {
                await this.root.el.requestFullscreen();
            } catch {
                // a browser that refuses (headless, iframes): the large layout still applies
            }
        }
        this.state.fullscreen = !this.state.fullscreen || Boolean(document.fullscreenElement);
    }

    async pause(agent, reasonId) {
        const ids = agent.members.filter((member) => !member.paused).map((member) => member.id);
        await this.orm.call("k2.cc.queue.member", "cc_pause", [ids], { reason_id: reasonId || false });
        this.notification.add(_t("%s: pause asked of the PBX", agent.user), { type: "info" });
    }

    async resume(agent) {
        const ids = agent.members.filter((member) => member.paused).map((member) => member.id);
        await this.orm.call("k2.cc.queue.member", "cc_resume", [ids]);
        this.notification.add(_t("%s: resume asked of the PBX", agent.user), { type: "info" });
    }

    isPending(agent) {
        return agent.members.some((member) => member.pending);
    }
}

registry.category("actions").add("k2_cc_wallboard", Wallboard);
