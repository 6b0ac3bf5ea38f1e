// Progressive enhancement for the subscribe form: without JavaScript the form posts normally and
// the API answers with a page; with it, we post JSON `{ email, website }` to the same action and
// show the API's `message` in the status paragraph.
(() => {
  for (const form of document.querySelectorAll('form[data-herald-subscribe]')) {
    const status = form.querySelector('[data-subscribe-result]');
    const button = form.querySelector('button[type="submit"]');
    const show = (message) => {
      if (status) status.textContent = message;
    };

    form.addEventListener('submit', async (event) => {
      if (typeof fetch !== 'function') return; // very old browser: let the form post normally
      event.preventDefault();
      const field = (name) => form.elements.namedItem(name)?.value ?? '';
      if (button) button.disabled = true;
      show('Sending…');
      try {
        const response = await fetch(form.action, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ email: field('email'), website: field('website') }),
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
