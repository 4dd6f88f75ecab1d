# ca-certificates: the Mozilla CA set as the distribution ships it, for
# imaged's TLS (update bundles and channels over https, registries).
# Concatenated into one PEM bundle at /etc/ssl/certs/ca-certificates.crt.
CA_CERTIFICATES_VERSION = 20250419~deb12u2
CA_CERTIFICATES_DEB = ca-certificates_$(CA_CERTIFICATES_VERSION)_all.deb
CA_BUNDLE = $(BUILD)/ca-certificates.crt

$(eval $(call apt-deb-package,ca-certificates,ca-certificates=$(CA_CERTIFICATES_VERSION),$(CA_CERTIFICATES_DEB)))

$(CA_BUNDLE): $(BUILD)/ca-certificates/.stamp_extracted
	@find $(BUILD)/ca-certificates/usr/share/ca-certificates/mozilla -name '*.crt' | \
		LC_ALL=C sort | xargs cat >$@.tmp
	@n=$$(grep -c 'BEGIN CERTIFICATE' $@.tmp); [ $$n -gt 100 ] || \
		{ echo "ca-certificates: only $$n certificates" >&2; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@
