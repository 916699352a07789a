/** Actions every settings-panel test takes on the page: save and pick an option. */

import type { Locator, Page } from 'playwright-core';

const TIMEOUT = 30000;

/** Clicks Save and waits for the panel to say it saved. */
export async function savePanel(page: Page): Promise<void> {
  await page.locator('#save').click();
  await page.locator('#saveStatus', { hasText: /^Saved$/ }).waitFor({ timeout: TIMEOUT });
}

/** Picks an option of a vscode-single-select by clicking it open and clicking the option. */
export async function choose(select: Locator, label: string | RegExp): Promise<void> {
  // The options open below the select, in the top layer: bring it to mid-screen first.
  await select.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await select.click();
  const option = select.getByRole('option', { name: label });
  await option.first().waitFor({ state: 'visible', timeout: TIMEOUT });
  await option.first().click();
}
