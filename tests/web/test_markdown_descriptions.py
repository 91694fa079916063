"""Descriptions in Markdown, rendered safely: markup becomes HTML, an organizer's raw HTML never does."""

from __future__ import annotations

import pytest

from competition.markdown_text import plain_text, render_markdown

pytestmark = pytest.mark.django_db

DESCRIPTION = """# Find the birds

Score **accuracy** on `predictions.csv`:

- one row per image
- see [the data](https://example.org/data)

| file | what |
| --- | --- |
| in.csv | the ids |

<script>alert('x')</script> <img src=x onerror="alert(1)"> <b>bold?</b>
[click](javascript:alert(1))
"""


def test_markdown_becomes_html():
    html = render_markdown(DESCRIPTION)
    for piece in ("<h1>Find the birds</h1>", "<strong>accuracy</strong>", "<code>predictions.csv</code>",
                  "<li>one row per image</li>", "<td>in.csv</td>",
                  '<a href="https://example.org/data" rel="noopener noreferrer nofollow">the data</a>'):
        assert piece in html


@pytest.mark.parametrize("hostile", ["<script", "<img", "<b>", "javascript:"])
def test_no_raw_html_or_script_link_reaches_the_page(hostile):
    assert hostile not in render_markdown(DESCRIPTION)


def test_raw_html_is_shown_as_text():
    assert "&lt;b&gt;bold?&lt;/b&gt;" in render_markdown(DESCRIPTION)


def test_the_summary_has_the_words_only():
    assert plain_text("# Birds & **bees** <b>x</b>") == "Birds & bees <b>x</b>"


def test_the_overview_and_the_list_render_it(client, make_competition):
    make_competition("birds", description=DESCRIPTION)
    page = client.get("/competitions/birds/").content.decode()
    assert "<h1>Find the birds</h1>" in page and "<script>alert" not in page
    listing = client.get("/").content.decode()
    assert "Find the birds Score accuracy" in " ".join(listing.split()) and "# Find" not in listing


def test_the_form_says_markdown(organizer_client):
    page = organizer_client.get("/competitions/new/").content.decode()
    assert "Markdown: **bold**" in page and "HTML is shown as text." in page
