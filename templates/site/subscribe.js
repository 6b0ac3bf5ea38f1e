// Progressive enhancement for the subscribe form: without JavaScript the form posts normally and
// the API answers with a page; with it, we post JSON `{ email, website, choice, topics }` to the
// same action and show the API's `message` in the status paragraph.
// Ticking a topic selects "Only these topics"; choosing "Everything" leaves the ticks alone.
(() => {
  for (const form of document.querySelectorAll('form[data-herald-subscribe]')) {
    const status = form.querySelector('[data-subscribe-result]');
    const button = form.querySelector('button[type="submit"]');
    const show = (message) => {
      if (status) status.textContent = message;
    };
    const only = form.querySelector('input[name="choice"][value="topics"]');
    for (const box of form.querySelectorAll('input[name="topics"]')) {
      box.addEventListener('change', () => {
        if (box.checked && only) only.checked = true;
      });
    }

    form.addEventListener('submit', async (event) => {
      if (typeof fetch !== 'function') return; // very old browser: let the form post normally
      event.preventDefault();
      const field = (name) => form.elements.namedItem(name)?.value ?? '';
      const choice = form.querySelector('input[name="choice"]:checked')?.value;
      const topics = [...form.querySelectorAll('input[name="topics"]:checked')].map((box) => box.value);
      const picked = choice === undefined ? {} : { choice, topics: choice === 'topics' ? topics : [] };
      if (button) button.disabled = true;
      show('Sending…');
      try {
        const response = await fetch(form.action, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ email: field('email'), website: field('website'), ...picked }),
        });
        const body = await response.json().catch(() => ({}));
        const ok = response.ok && body.ok !== false;
        const message = typeof body.message === 'string' && body.message ? body.message : '';
        show(
          message || (ok ? 'Thanks! Please check your inbox.' : 'Something went wrong. Please try again.'),
        );
        if (ok) form.reset();
      } catch {
        show('We could not reach the server. Please check your connection and try again.');
      } finally {
        if (button) button.disabled = false;
      }
    });
  }
})();
