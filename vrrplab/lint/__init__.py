"""vrrplab lint: the routers' keepalived.conf files judged, alone and as a pair."""
