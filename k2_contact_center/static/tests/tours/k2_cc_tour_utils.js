/** Steps the Contact Center's tours share. */

/** A step failing unless the address bar shows ``path``: a URL to bookmark. */
export function checkPath(path) {
    return {
        content: `The address reads ${path}`,
        trigger: "body",
        run() {
            const { pathname } = window.location;
            if (pathname !== path && !pathname.startsWith(`${path}/`)) {
                throw new Error(`expected the URL ${path}, got ${pathname}`);
            }
        },
    };
}

/** A step failing unless the input of the field ``name`` holds exactly ``value``. */
export function checkInput(name, value) {
    return {
        content: `${name} reads "${value}"`,
        trigger: `.o_form_view .o_field_widget[name='${name}'] input`,
        run() {
            if (this.anchor.value !== value) {
                throw new Error(`${name}: expected "${value}", got "${this.anchor.value}"`);
            }
        },
    };
}
