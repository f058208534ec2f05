"""Catalog templates: outdoor and camping gear, and consumer electronics."""

from __future__ import annotations

from localshelf.demo.catalog_spec import CategorySpec as C
from localshelf.demo.catalog_spec import G

# fmt: off
OUTDOOR: tuple[C, ...] = (
    C("Outdoor > Camping", "outdoor", (7999, 24999),
      "{brand} {line} for weekend campouts and backcountry trips.", (
        G("Coleman", ("Sundome 4-Person Dome Tent", "Skydome 6-Person Camping Tent",
                      "Brazos 20°F Cold Weather Sleeping Bag", "Camping Chair with Built-In Cooler"),
          price=(3999, 12999)),
        G("Big Agnes", ("Copper Spur HV UL2 Tent", "Rapide SL Insulated Sleeping Pad"), price=(14999, 49999)),
        G("Kelty", ("Wireless 4 Tent", "Cosmic Down 20 Sleeping Bag")),
        G("Therm-a-Rest", ("NeoAir XLite NXT Sleeping Pad Regular", "Z Lite Sol Sleeping Pad",
                           "Compressible Pillow Medium")),
        G("Timberline Trail", ("Ridgecrest 2-Person Backpacking Tent", "Cascade 30°F Synthetic Sleeping Bag",
                               "Packable Camp Blanket", "Ultralight Camp Chair")),
        G("ENO", ("DoubleNest Hammock",), price=(6999, 7999)),
    )),
    C("Outdoor > Camp Kitchen", "outdoor", (1999, 6999),
      "{brand} {line} for cooking at camp.", (
        G("Jetboil", ("Flash Cooking System", "MiniMo Cooking System"), price=(11999, 16999)),
        G("MSR", ("PocketRocket 2 Stove", "IsoPro Fuel Canister 8 oz", "Trail Lite Camp Cup"), price=(699, 5499)),
        G("Coleman", ("Classic 2-Burner Propane Stove", "Propane Camping Fuel 16.4 oz 2-Pack")),
        G("GSI Outdoors", ("Pinnacle Camper Cookset", "Infinity Backpacker Mug")),
        G("Timberline Trail", ("Titanium Spork", "Collapsible Silicone Bowl", "Stainless Camp Percolator 8-Cup"),
          price=(999, 3999)),
        G("Mountain House", ("Beef Stroganoff with Noodles", "Breakfast Skillet", "Chicken Teriyaki with Rice"),
          ("2 Servings", "Pro-Pak"), price=(1099, 1399)),
    ), variant_step=1.0),
    C("Outdoor > Hydration", "outdoor", (1499, 4499),
      "{brand} {line} to stay hydrated on the trail and around town.", (
        G("Hydro Flask", ("Wide Mouth Water Bottle with Flex Cap",), ("32 oz", "40 oz")),
        G("Hydro Flask", ("Standard Mouth Water Bottle 21 oz",)),
        G("Nalgene", ("Wide Mouth Sustain Water Bottle 32 oz", "Narrow Mouth Water Bottle 32 oz")),
        G("Stanley", ("Quencher H2.0 FlowState Tumbler 40 oz", "Classic Legendary Bottle 1.5 qt")),
        G("CamelBak", ("Crux Reservoir 3L", "Chute Mag Water Bottle 32 oz")),
        G("Sawyer", ("Squeeze Water Filter System", "Mini Water Filtration System")),
        G("Katadyn", ("BeFree Water Filter 1.0L",)),
        G("Timberline Trail", ("Insulated Trail Bottle 24 oz", "Collapsible Water Jug 10L")),
    ), variant_step=1.15),
    C("Outdoor > Lighting", "outdoor", (2499, 5999),
      "{brand} {line}, a reliable light for camp and power outages.", (
        G("Black Diamond", ("Spot 400 Headlamp", "Astro 300 Headlamp", "Moji Lantern")),
        G("Petzl", ("Tikkina Headlamp", "Actik Core Headlamp")),
        G("BioLite", ("HeadLamp 425", "AlpenGlow 250 Lantern")),
        G("Goal Zero", ("Lighthouse Micro Flash Lantern", "Crush Light Solar Lantern")),
        G("Coleman", ("Classic LED Lantern 400 Lumens",)),
    )),
    C("Outdoor > Knives & Tools", "outdoor", (2999, 9999),
      "{brand} {line}, a compact tool for camp, trail and everyday carry.", (
        G("Leatherman", ("Wave+ Multi-Tool", "Skeletool", "Signal Multi-Tool", "Micra Keychain Multi-Tool")),
        G("Gerber", ("Suspension-NXT Multi-Tool", "Paraframe Mini Folding Knife", "Armbar Slim Drive")),
        G("Kershaw", ("Leek Folding Knife", "Cryo Folding Knife")),
        G("Opinel", ("No. 8 Carbon Steel Folding Knife",), price=(1799, 2199)),
        G("Victorinox", ("Swiss Army Classic SD",), price=(1999, 2499)),
    )),
    C("Outdoor > Apparel & Accessories", "outdoor", (1999, 8999),
      "{brand} {line} for changeable Pacific Northwest weather.", (
        G("Smartwool", ("Hike Light Cushion Crew Socks", "Classic Thermal Merino Base Layer Crew"), ("M", "L")),
        G("Darn Tough", ("Hiker Micro Crew Midweight Hiking Socks",), ("M", "L"), price=(2499, 2799)),
        G("Columbia", ("Bugaboo Interchange Jacket", "Silver Ridge Utility Cap")),
        G("Outdoor Research", ("Helium Rain Jacket", "Sun Runner Cap")),
        G("Buff", ("Original EcoStretch Neckwear",), price=(1999, 2599)),
        G("Timberline Trail", ("Packable Rain Poncho",), price=(2499, 3499)),
    ), variant_step=1.0),
)

ELECTRONICS: tuple[C, ...] = (
    C("Electronics > Cables", "electronics", (999, 2499),
      "{brand} {line} for charging and connecting your devices.", (
        G("Anker", ("PowerLine III USB-C to USB-C Cable", "PowerLine II USB-A to Lightning Cable"), ("3 ft", "6 ft")),
        G("Belkin", ("BoostCharge USB-C to Lightning Cable 6.6 ft", "Braided USB-C to USB-C Cable 3.3 ft",
                     "Ultra High Speed HDMI 2.1 Cable 6.6 ft")),
        G("Apple", ("USB-C Charge Cable 1 m", "USB-C to Lightning Cable 1 m"), price=(1899, 1999)),
        G("Fernhill", ("Braided USB-C Cable", "High Speed HDMI Cable"), ("3 ft", "10 ft")),
        G("Cable Matters", ("Cat 6 Ethernet Cable 25 ft",)),
    ), variant_step=1.3),
    C("Electronics > Chargers & Power", "electronics", (1999, 5999),
      "{brand} {line} to keep phones, tablets and laptops powered up.", (
        G("Anker", ("Nano 20W USB-C Charger", "737 Power Bank 24,000mAh", "USB-C Power Strip 6-Outlet")),
        G("Belkin", ("BoostCharge Pro 3-in-1 Wireless Charging Stand", "Dual USB-C Wall Charger 40W")),
        G("Apple", ("20W USB-C Power Adapter", "MagSafe Charger 1 m"), price=(1899, 4999)),
        G("Fernhill", ("65W GaN Dual-Port Wall Charger", "10,000mAh Slim Power Bank", "Dual USB-C Car Charger 45W")),
        G("Mophie", ("Powerstation Plus 10K",)),
    )),
    C("Electronics > Batteries", "electronics", (499, 1299),
      "{brand} {line} for remotes, flashlights, toys and smoke alarms.", (
        G("Duracell", ("Coppertop AA Alkaline Batteries", "Coppertop AAA Alkaline Batteries"),
          ("4-Pack", "16-Pack")),
        G("Duracell", ("Coppertop 9V Battery 2-Pack", "CR2032 Lithium Coin Battery 2-Pack")),
        G("Energizer", ("MAX AA Alkaline Batteries", "Ultimate Lithium AA Batteries"), ("8-Pack", "20-Pack")),
        G("Panasonic", ("eneloop Rechargeable AA Batteries 4-Pack", "eneloop Rechargeable AAA Batteries 4-Pack"),
          price=(1599, 2199)),
    ), variant_step=2.4),
    C("Electronics > Audio", "electronics", (2999, 14999),
      "{brand} {line} for music, podcasts and calls.", (
        G("Sony", ("WH-1000XM5 Wireless Noise Canceling Headphones", "WF-C700N Wireless Earbuds",
                   "ULT Field 1 Portable Bluetooth Speaker"), price=(9999, 39999)),
        G("Bose", ("QuietComfort Ultra Headphones", "SoundLink Flex Bluetooth Speaker", "QuietComfort Earbuds"),
          price=(12999, 42999)),
        G("JBL", ("Flip 6 Portable Bluetooth Speaker", "Tune 510BT Wireless On-Ear Headphones",
                  "Clip 5 Portable Speaker"), price=(4999, 12999)),
        G("Apple", ("AirPods 4", "AirPods Pro 2"), price=(12999, 24999)),
        G("Apple", ("EarPods with USB-C Connector",), price=(1899, 1999)),
        G("Audio-Technica", ("AT-LP60X Belt-Drive Turntable", "ATH-M50x Studio Headphones"), price=(14999, 17999)),
        G("Skullcandy", ("Dime 3 True Wireless Earbuds",), price=(2499, 2999)),
    )),
    C("Electronics > Storage & Memory", "electronics", (1499, 2999),
      "{brand} {line} for photos, video and backups.", (
        G("SanDisk", ("Ultra microSDXC UHS-I Card", "Extreme PRO SDXC UHS-I Card", "Ultra Flair USB 3.0 Flash Drive"),
          ("64GB", "128GB")),
        G("Samsung", ("EVO Select microSDXC Card",), ("128GB", "256GB")),
        G("Samsung", ("T7 Portable SSD 1TB",), price=(9999, 12999)),
        G("Western Digital", ("My Passport Portable Hard Drive 2TB",), price=(7999, 8999)),
        G("Kingston", ("DataTraveler Exodia USB Flash Drive 64GB",), price=(799, 1099)),
    ), variant_step=1.6),
    C("Electronics > Computer Accessories", "electronics", (1999, 7999),
      "{brand} {line} for a more comfortable home office.", (
        G("Logitech", ("MX Master 3S Wireless Mouse", "M185 Wireless Mouse", "K380 Multi-Device Bluetooth Keyboard",
                       "C920s HD Pro Webcam", "MX Keys S Wireless Keyboard")),
        G("Anker", ("7-in-1 USB-C Hub",)),
        G("Belkin", ("4-Port USB 3.0 Hub",)),
        G("Fernhill", ("Aluminum Laptop Stand", "USB-C to HDMI Adapter 4K", "Wireless Charging Mouse Pad")),
        G("HP", ("67 Black Original Ink Cartridge", "67 Tri-Color Original Ink Cartridge"), price=(1999, 2499)),
    )),
    C("Electronics > Networking & Streaming", "electronics", (2999, 14999),
      "{brand} {line} for faster Wi-Fi and streaming at home.", (
        G("TP-Link", ("Archer AX55 Wi-Fi 6 Router", "Deco X20 Mesh Wi-Fi System 3-Pack", "Tapo Smart Plug Mini 4-Pack")),
        G("Netgear", ("Nighthawk AX5400 Wi-Fi 6 Router", "8-Port Gigabit Ethernet Switch")),
        G("Roku", ("Streaming Stick 4K", "Express HD Streaming Device"), price=(2999, 4999)),
        G("Google", ("TV Streamer 4K", "Nest Mini Smart Speaker"), price=(4999, 9999)),
        G("Amazon", ("Fire TV Stick 4K", "Echo Dot Smart Speaker"), price=(4999, 4999)),
    )),
)
# fmt: on

CATEGORIES: tuple[C, ...] = OUTDOOR + ELECTRONICS
