"""The platform's Docker registry, seen from the site.

The registry (CNCF distribution, ``docker-registry serve``) runs beside the site and trusts the
site as its token server (Docker registry token authentication):

- :mod:`.names`: the registry's address settings and the ``<competition>/<username>/<name>``
  namespace rule;
- :mod:`.keys`: the site's signing key and its self-signed certificate (the registry's
  ``rootcertbundle``);
- :mod:`.tokens`: the scope grammar and the signed JWTs the registry accepts;
- :mod:`.access`: who may pull or push which repository, with the reason of every refusal;
- :mod:`.client`: the site's own calls to the registry API (resolve a tag, size a manifest,
  delete one);
- :mod:`.config`: the registry's configuration file, rendered from the site's settings;
- :mod:`.events`: the registry's push notifications, recorded as :class:`~competition.models.RegistryImage`.
"""
