// The explorer as a person uses it, in headless Chromium (Debian's `chromium`) driven by
// playwright-core: run by tests/browser.rs, which starts the node and tells this script what is
// on the chain through CATENA_BROWSER (JSON):
//   { "api": "http://127.0.0.1:PORT", "voucher": ID, "parts": [ID, ...],
//     "parachain": "/chains/para-a/explorer", "key_file": PATH, "member": NAME,
//     "screenshots": DIR }
// Each step prints one line; the first that fails ends the run with exit 1 and what it saw.
// Screenshots of every step are kept in DIR.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const given = JSON.parse(process.env.CATENA_BROWSER ?? "{}");
const STEP_MS = 30_000;
mkdirSync(given.screenshots, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error(what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
  ],
  timeout: STEP_MS,
});
let shot = 0;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(STEP_MS);
const problems = [];
page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));

async function step(name, run) {
  try {
    await run();
    shot += 1;
    await page.screenshot({ path: join(given.screenshots, `${String(shot).padStart(2, "0")}-${name}.png`), fullPage: true });
    console.log(`ok: ${name}`);
  } catch (e) {
    await page.screenshot({ path: join(given.screenshots, `failed-${name}.png`), fullPage: true }).catch(() => {});
    console.error(`FAILED: ${name}: ${e.message}\nat ${page.url()}\n${problems.join("\n")}`);
    await browser.close();
    process.exit(1);
  }
}

const explorer = `${given.api}/explorer`;

await step("search-voucher", async () => {
  await page.goto(explorer);
  await page.fill("input[name=q]", String(given.voucher));
  await page.click("header button[type=submit]");
  await page.waitForLoadState();
  // A voucher id may also be a block height: then the search lists both.
  if (!page.url().includes(`/vouchers/${given.voucher}`)) {
    await page.click(`a[href="/explorer/vouchers/${given.voucher}"]`);
  }
  await page.waitForURL(`**/explorer/vouchers/${given.voucher}`);
});

await step("lineage-tree", async () => {
  const drawn = await page.$$eval("svg.lineage [data-part]", (parts) =>
    parts.map((p) => Number(p.getAttribute("data-part"))));
  for (const id of given.parts) {
    check(drawn.includes(id), `part ${id} is not drawn in the lineage tree (drawn: ${drawn})`);
  }
  const sums = await page.textContent(".sums");
  check(sums.includes("adds up") && !sums.includes("does not add up"), `the sums: ${sums}`);
});

await step("part-to-holder", async () => {
  const last = given.parts[given.parts.length - 1];
  await page.click(`svg.lineage a[href$="/vouchers/${last}"]`);
  await page.waitForURL(`**/explorer/vouchers/${last}`);
  const holder = page.locator(".path a").last();
  const uscc = (await holder.textContent()).trim();
  await holder.click();
  await page.waitForURL(`**/explorer/members/${uscc}`);
  const held = await page.$$eval("table.vouchers a[href*='/vouchers/']", (links) =>
    links.map((a) => a.getAttribute("href")));
  check(held.some((h) => h.endsWith(`/vouchers/${last}`)), `the holder's page lists ${last}: ${held}`);
});

await step("live-block", async () => {
  await page.goto(explorer);
  const before = Number(await page.textContent("#height"));
  await page.waitForSelector("#latest-blocks tr.new");
  const after = Number(await page.textContent("#height"));
  check(after > before, `the height went from ${before} to ${after}`);
  const first = await page.getAttribute("#latest-blocks tr:first-child", "data-height");
  check(Number(first) === after, `the newest row is block ${first}, the height ${after}`);
});

await step("members-only", async () => {
  await page.goto(`${given.api}${given.parachain}`);
  await page.waitForURL(`**${given.parachain}/sign-in?**`);
  check(!(await page.content()).includes("Latest blocks"), "the parachain's data before sign-in");
});

await step("sign-in-with-key-file", async () => {
  await page.setInputFiles("#key-file", given.key_file);
  await page.waitForURL(`**${given.parachain}`);
  await page.waitForSelector("#latest-blocks");
  const members = await page.goto(`${given.api}${given.parachain}/members`);
  check(members.status() === 200, `the members page: ${members.status()}`);
  check((await page.content()).includes(given.member), `${given.member} among the members`);
});

check(problems.length === 0, problems.join("\n"));
await browser.close();
console.log("browser: all steps passed");
