const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export interface CheckoutView {
  sessionId: string;
  amountVnd: number;
  status: string;
  returnUrl: string | null;
}

/** The smallest checkout page a citizen's browser needs: amount, a Pay and a Fail button. */
export function renderCheckoutPage(s: CheckoutView): string {
  const amount = new Intl.NumberFormat('vi-VN').format(s.amountVnd);
  const id = escape(s.sessionId);
  const open = s.status === 'OPEN';
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thanh toán ${id}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 2rem auto">
<h1>Cổng thanh toán (mô phỏng)</h1>
<p>Phiên <code>${id}</code></p>
<p>Số tiền: <strong>${amount} ₫</strong></p>
<p id="status">Trạng thái: ${escape(s.status)}</p>
${
  open
    ? `<button data-outcome="success">Thanh toán (Pay)</button> <button data-outcome="failure">Từ chối (Fail)</button>
<script>
document.querySelectorAll('button').forEach(function (b) {
  b.addEventListener('click', async function () {
    const res = await fetch(location.pathname + '/pay', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: b.dataset.outcome }) });
    const body = await res.json();
    document.getElementById('status').textContent = 'Trạng thái: ' + (body.status || body.message);
    if (res.ok && body.returnUrl) location.href = body.returnUrl;
  });
});
</script>`
    : ''
}
</body></html>`;
}
