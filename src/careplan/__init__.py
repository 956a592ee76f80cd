"""careplan: tailored, plain-language care-plan handouts for people with neuroendocrine tumors.

The pipeline, one module per step::

    profile.load_profile / profile.parse_profile   YAML file or CSV row -> validated Profile
    plan.build_plan                                 Profile + content Library -> Plan (pure)
    html.render_html                                Plan -> HTML (Jinja2, autoescaped)
    pdf.render_pdf                                  HTML -> PDF bytes (WeasyPrint)

``careplan.render.render_profile`` runs all of it; the ``careplan`` command is a thin shell over it.
"""

__version__ = "0.1.0"
