"""The local web explorer (`genlens serve`): every method behind one page, on loopback by default.

Its views are plain functions (genlens.app.views) that the Gradio page (genlens.app.page) calls,
so that everything but the page itself is tested without a browser."""
