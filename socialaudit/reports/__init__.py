"""Reports written as files: the self-audit report for one registrant and the evidence pack for
one person of an organisation. Every HTML report is one self-contained page (see `page`)."""
