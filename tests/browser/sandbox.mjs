// The sandbox story in a real browser: Debian's headless Chromium, driven by playwright-core.
//   node tests/browser/sandbox.mjs <demo base URL> <screenshot.png>
// Alice requests in Slack; Dave (an outsider) is refused; Bob approves; the request turns active,
// the PIM assignment and the audit trail appear, Alice gets her DM. Then in Teams, Alice asks
// again and Carol denies on the card with a reason; last, Alice asks through the Slack form (a
// modal). A screenshot is written either way; the exit code says whether every step held. Run
// by tests/sandbox_browser.rs.
import { chromium } from "playwright-core";

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error("usage: node sandbox.mjs <base url> <screenshot.png>");
  process.exit(2);
}
const STEP_MS = 15000;
const errors = [];
const steps = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // As root there is no sandbox; the network-related flags keep Chromium from calling home.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1680, height: 1000 } });
page.setDefaultTimeout(STEP_MS);
page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
page.on("console", (message) => {
  // Chromium asks for /favicon.ico on its own; that is not the page's doing.
  const url = message.location().url || "";
  if (message.type() === "error" && !url.endsWith("/favicon.ico")) {
    errors.push(`console: ${message.text()} at ${url}`);
  }
});
page.on("response", (response) => {
  if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
});

async function step(name, body) {
  const started = Date.now();
  await body();
  steps.push(`${name} (${Date.now() - started} ms)`);
}

const slack = page.locator("#slack-messages");
const teams = page.locator("#teams-messages");
const be = (who) => page.click(`[data-persona="${who}"]`);

let failure = null;
try {
  await step("open the sandbox", async () => {
    await page.goto(`${base}/sandbox`);
    await page.locator('[data-persona="alice"].active').waitFor();
  });
  await step("Alice requests in Slack", async () => {
    await page.fill("#slack-input", "request app1-secrets for 2h ticket INC-1234 rotating the cert");
    await page.click("#slack-send");
    await slack.locator(".msg.ephemeral", { hasText: "waiting for approval" }).waitFor();
    await slack.locator('button[data-action-id="approve"]').waitFor();
    await page.locator('#requests .request[data-state="pending_approval"]').waitFor();
  });
  await step("Dave, an outsider, cannot approve", async () => {
    await be("dave");
    await slack.locator('button[data-action-id="approve"]').click();
    await slack.locator(".msg.ephemeral", { hasText: "not an approver" }).waitFor();
    await page.locator("#audit li.audit-refused", { hasText: "not_an_approver" }).waitFor();
  });
  await step("Bob, an owner, approves", async () => {
    await be("bob");
    await slack.locator('button[data-action-id="approve"]').click();
    await page.locator('#requests .request[data-state="active"]').waitFor();
    await slack.locator(".msg", { hasText: "Approved by" }).first().waitFor();
  });
  await step("the PIM assignment and the audit trail", async () => {
    await page.locator("#assignments .assignment", { hasText: "Alice Engineer: Application Secret Manager" }).waitFor();
    await page.locator("#audit li", { hasText: "request.active" }).waitFor();
    await page.locator("#chain.ok", { hasText: "intact" }).waitFor();
  });
  await step("Alice's DM", async () => {
    await be("alice");
    await page.click('[data-slack-view="dm"]');
    await slack.locator(".msg", { hasText: "is active until" }).waitFor();
  });
  await step("Alice asks in Teams", async () => {
    await page.fill("#teams-input", "request app1-secrets for 1h ticket INC-2048 reading the logs");
    await page.click("#teams-send");
    await teams.locator(".tmsg", { hasText: "is waiting for approval by" }).waitFor();
    await teams.locator('button[data-verb="approve"]').waitFor();
  });
  await step("Carol denies on the card, with a reason", async () => {
    await be("carol");
    await teams.locator(".ac-button", { hasText: "Deny…" }).last().click();
    await teams.locator('textarea[data-input-id="reason"]').last().fill("not during the freeze");
    await teams.locator('button[data-verb="deny"]').last().click();
    await teams.locator(".ac-card", { hasText: "Denied by" }).waitFor();
    await page.locator('#requests .request[data-state="denied"]').waitFor();
    await page.locator("#audit li", { hasText: "request.denied" }).waitFor();
  });
  await step("Alice asks through the Slack form", async () => {
    await be("alice");
    await page.click('[data-slack-view="team"]');
    await page.fill("#slack-input", "request");
    await page.click("#slack-send");
    const form = page.locator("#modal");
    await form.locator('[data-block-id="target"] select').waitFor();
    await page.click("#modal-submit");
    await form.locator(".bk-error").filter({ hasText: /\S/ }).first().waitFor();
    await form.locator('[data-block-id="target"] select').selectOption("app1-secrets");
    await form.locator('[data-block-id="ticket"] input').fill("INC-4096");
    await form.locator('[data-block-id="justification"] textarea').fill("renewing the signing cert");
    await page.click("#modal-submit");
    await form.waitFor({ state: "hidden" });
    await page.locator('#requests .request[data-state="pending_approval"]', { hasText: "INC-4096" }).waitFor();
  });
  await step("back in #team-foo, the approval message shows who decided", async () => {
    await page.click('[data-slack-view="team"]');
    await slack.locator(".msg", { hasText: "Approved by" }).first().waitFor();
  });
  if (errors.length) throw new Error(errors.join("\n"));
} catch (error) {
  failure = error;
} finally {
  await page.screenshot({ path: screenshot, fullPage: false });
  await browser.close();
}
for (const line of steps) console.log(`ok: ${line}`);
if (failure) {
  console.error(`failed after ${steps.length} steps: ${failure.message}`);
  process.exit(1);
}
console.log(`sandbox story passed: ${steps.length} steps, screenshot ${screenshot}`);
