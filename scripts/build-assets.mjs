// Builds the CSS with Tailwind + daisyUI and copies the browser scripts next to it.
// Output goes to crm/web/static/dist/, which git ignores.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "crm", "web", "static", "dist");
mkdirSync(dist, { recursive: true });

execFileSync(
  join(root, "node_modules", ".bin", "tailwindcss"),
  ["-i", join(root, "crm", "web", "assets", "app.css"), "-o", join(dist, "app.css"), "--minify"],
  { stdio: "inherit", cwd: root },
);

const scripts = {
  "htmx.js": "node_modules/htmx.org/dist/htmx.min.js",
  "alpine.js": "node_modules/alpinejs/dist/cdn.min.js",
  "sortable.js": "node_modules/sortablejs/Sortable.min.js",
};
for (const [name, source] of Object.entries(scripts)) {
  copyFileSync(join(root, source), join(dist, name));
}
console.log(`assets built in ${dist}`);
