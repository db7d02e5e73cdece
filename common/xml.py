"""Text made safe for XML 1.0, for every document Sift writes (the ranked feed, Google
Reader's Atom form, OPML).

A feed's title or an article may carry characters XML 1.0 cannot hold (a `&#11;` in a feed
becomes a vertical tab): Django's feed writer refuses them with an exception, and the answer
was a 500 for the reader's whole feed; OPML written with them was not XML at all. They are
dropped where the document is written, so stored text stays as the feed gave it."""

from __future__ import annotations

import re
from typing import Any

from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

# Everything outside XML 1.0's Char production: C0 controls but tab, LF and CR; surrogates;
# U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


class _XMLSafeGenerator(SimplerXMLGenerator):
    def characters(self, content: str) -> None:
        super().characters(xml_text(content) if content else content)

    def startElement(self, name: str, attrs: Any) -> None:
        clean = {k: xml_text(v) if isinstance(v, str) else v for k, v in (attrs or {}).items()}
        super().startElement(name, clean)  # type: ignore[arg-type]  # a dict, as Django passes


class XMLSafeAtom1Feed(Atom1Feed):
    """Django's Atom writer, on a generator that drops what XML 1.0 cannot hold."""

    def write(self, outfile: Any, encoding: str) -> None:
        handler = _XMLSafeGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")
