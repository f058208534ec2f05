"""Catalog templates: hardware stores (tools, building supplies, paint, garden) and home goods."""

from __future__ import annotations

from localshelf.demo.catalog_spec import CategorySpec as C
from localshelf.demo.catalog_spec import G

HARDWARE: tuple[C, ...] = (
    C(
        "Tools > Power Tools",
        "hardware",
        (8999, 21999),
        "The {name}, built for home workshop and jobsite projects.",
        (
            G(
                "DeWalt",
                (
                    "20V MAX Cordless Drill/Driver Kit",
                    "20V MAX XR Brushless Impact Driver Kit",
                    "20V MAX Cordless Circular Saw",
                    "20V MAX Reciprocating Saw",
                ),
            ),
            G(
                "Milwaukee",
                ("M18 Compact Drill/Driver Kit", "M12 Cordless Impact Driver Kit", "M18 Oscillating Multi-Tool"),
            ),
            G("Makita", ("18V LXT Brushless Hammer Drill Kit", "18V LXT Random Orbit Sander")),
            G("Ryobi", ("ONE+ 18V Cordless Drill/Driver Kit", "ONE+ 18V Jig Saw", "ONE+ 18V Brad Nailer")),
            G("Bosch", ("12V Max Pocket Driver Kit", "7.5 Amp Corded Jig Saw")),
            G(
                "Black+Decker",
                ("20V MAX Cordless Drill with 30-Piece Accessory Kit", "Mouse Corded Detail Sander"),
                price=(3999, 6999),
            ),
        ),
    ),
    C(
        "Tools > Batteries & Chargers",
        "hardware",
        (6999, 12999),
        "{brand} {line} that fits the brand's cordless tool platform.",
        (
            G("DeWalt", ("20V MAX XR Battery",), ("2.0Ah", "5.0Ah")),
            G("Milwaukee", ("M18 REDLITHIUM Battery",), ("3.0Ah", "5.0Ah")),
            G("Ryobi", ("ONE+ 18V Lithium-Ion Battery",), ("2.0Ah", "4.0Ah")),
            G("Makita", ("18V LXT Lithium-Ion Battery",), ("3.0Ah", "5.0Ah")),
        ),
        variant_step=1.4,
    ),
    C(
        "Tools > Hand Tools",
        "hardware",
        (899, 3499),
        "{brand} {line}, a toolbox staple for repairs around the house.",
        (
            G("Stanley", ("FatMax Tape Measure",), ("16 ft", "25 ft", "35 ft")),
            G("Stanley", ("Anti-Vibe Claw Hammer",), ("16 oz", "20 oz")),
            G("Klein Tools", ("11-in-1 Screwdriver/Nut Driver", "Lineman's Pliers 9 in", "Wire Stripper/Cutter")),
            G("Craftsman", ("Mechanics Tool Set 102-Piece", "Adjustable Wrench 8 in", "Ratcheting Screwdriver")),
            G(
                "Ridgeline",
                ("Utility Knife with 5 Blades", "Torpedo Level 9 in", "Flat Pry Bar 15 in", "Combination Square 12 in"),
            ),
            G("Irwin", ("Vise-Grip Locking Pliers 10 in", "Quick-Grip Bar Clamp 12 in")),
        ),
        variant_step=1.25,
    ),
    C(
        "Tools > Fasteners",
        "hardware",
        (499, 1299),
        "{brand} {line} for framing, decking and everyday repairs.",
        (
            G(
                "GRK",
                ("R4 Multi-Purpose Screws #9 x 2-1/2 in", "Cabinet Screws #8 x 2-1/2 in"),
                ("100-Count", "350-Count"),
            ),
            G("Simpson Strong-Tie", ("Strong-Drive SDWS Timber Screw 5 in",), ("12-Pack", "50-Pack")),
            G(
                "Simpson Strong-Tie",
                ("Galvanized Joist Hanger 2x8", "Galvanized Angle 1-1/2 x 1-1/2 in"),
                price=(149, 399),
            ),
            G(
                "Hillman",
                ("Drywall Anchors with Screws 20-Pack", "Machine Screw Assortment Kit", "Picture Hanging Kit"),
            ),
            G("Ridgeline", ("Exterior Deck Screws #10 x 3 in", "Drywall Screws #6 x 1-1/4 in"), ("1 lb", "5 lb")),
        ),
        variant_step=2.8,
    ),
    C(
        "Hardware > Plumbing",
        "hardware",
        (599, 3999),
        "{brand} {line} for quick plumbing repairs and upgrades.",
        (
            G(
                "SharkBite",
                (
                    "Max Push-to-Connect Coupling 1/2 in",
                    "Max Push-to-Connect Tee 3/4 in",
                    "Max Push-to-Connect Ball Valve 1/2 in",
                ),
            ),
            G(
                "Fluidmaster",
                (
                    "PerforMAX Universal Toilet Fill Valve",
                    "Better Than Wax Toilet Seal",
                    "Universal Toilet Flapper 2 in",
                ),
            ),
            G(
                "Moen",
                (
                    "Magnetix Rainshower Showerhead",
                    "Adler Single-Handle Kitchen Faucet",
                    "Single-Handle Faucet Replacement Cartridge",
                ),
                price=(2499, 14999),
            ),
            G(
                "Oatey",
                ("Plumber's Putty 14 oz", "PTFE Thread Seal Tape 1/2 in x 520 in", "All-Purpose Cement 8 oz"),
                price=(199, 899),
            ),
        ),
    ),
    C(
        "Hardware > Electrical",
        "hardware",
        (399, 2999),
        "{brand} {line} for home wiring projects; follow local electrical code.",
        (
            G(
                "Leviton",
                ("Decora Rocker Light Switch", "15 Amp GFCI Outlet", "Tamper-Resistant Duplex Outlet"),
                ("White", "Light Almond"),
            ),
            G("Lutron", ("Diva LED+ Dimmer Switch White", "Caseta Smart Dimmer Switch White"), price=(2499, 6999)),
            G(
                "Southwire",
                ("Romex 14/2 NM-B Wire with Ground", "Romex 12/2 NM-B Wire with Ground"),
                ("25 ft", "50 ft"),
            ),
            G("Woods", ("Outdoor Extension Cord 16/3",), ("25 ft", "50 ft", "100 ft")),
        ),
        variant_step=1.0,
    ),
    C(
        "Hardware > Light Bulbs",
        "hardware",
        (599, 1499),
        "{brand} {line} energy-saving LED bulbs.",
        (
            G(
                "Philips",
                ("LED A19 60W Equivalent Soft White", "LED BR30 65W Equivalent Daylight", "LED Edison Filament ST19"),
                ("2-Pack", "4-Pack"),
            ),
            G(
                "Feit Electric",
                ("LED A19 100W Equivalent Daylight", "LED Candelabra 40W Equivalent"),
                ("4-Pack", "8-Pack"),
            ),
            G("Cree", ("LED A19 60W Equivalent Bright White 4-Pack",)),
            G("GE", ("Reveal LED A19 60W Equivalent", "Relax LED G25 Globe"), ("2-Pack", "4-Pack")),
        ),
        variant_step=1.7,
    ),
    C(
        "Paint > Interior Paint",
        "hardware",
        (1999, 2999),
        "{brand} {line} paint and primer for walls, trim and ceilings.",
        (
            G(
                "Behr",
                (
                    "Premium Plus Interior Eggshell Ultra Pure White",
                    "Ultra Scuff Defense Interior Satin Polar Bear",
                    "Marquee Interior Matte Swiss Coffee",
                ),
                ("1 qt", "1 gal"),
            ),
            G(
                "Valspar",
                ("Signature Interior Eggshell Bright White", "Ultra Interior Satin Gray Mist"),
                ("1 qt", "1 gal"),
            ),
            G("Glidden", ("Premium Interior Flat White",), ("1 qt", "1 gal")),
            G("Kilz", ("Original Interior Primer", "2 All-Purpose Primer"), ("1 qt", "1 gal")),
        ),
        variant_step=2.4,
    ),
    C(
        "Paint > Spray Paint & Supplies",
        "hardware",
        (599, 1699),
        "{brand} {line} for a clean, even finish on your next paint job.",
        (
            G(
                "Rust-Oleum",
                (
                    "Painter's Touch 2X Spray Paint Gloss Black 12 oz",
                    "Painter's Touch 2X Spray Paint Satin Heirloom White 12 oz",
                    "Painter's Touch 2X Spray Paint Flat Hunter Green 12 oz",
                    "Stops Rust Protective Enamel Spray Flat Black 12 oz",
                ),
            ),
            G("Krylon", ("ColorMaxx Spray Paint Gloss Cherry Red 12 oz", "ColorMaxx Spray Paint Matte Navy 12 oz")),
            G("Purdy", ("XL Glide Angled Paint Brush 2-1/2 in", "White Dove Roller Cover 9 in x 3/8 in")),
            G("Wooster", ("Shortcut Angle Sash Brush 2 in", "Pro/Doo-Z Roller Cover 9 in")),
            G("ScotchBlue", ("Original Multi-Surface Painter's Tape 1.41 in x 60 yd",), ("1-Pack", "3-Pack")),
            G("3M", ("SandBlaster Sanding Sponge Medium Grit",), price=(399, 599)),
        ),
        variant_step=2.6,
    ),
    C(
        "Garden > Lawn & Garden",
        "hardware",
        (899, 2999),
        "{brand} {line} for healthier lawns, beds and vegetable gardens.",
        (
            G(
                "Scotts",
                (
                    "Turf Builder Lawn Food 5,000 sq ft",
                    "Turf Builder Lawn Food 15,000 sq ft",
                    "EZ Seed Patch & Repair Sun and Shade 3.75 lb",
                ),
            ),
            G("Miracle-Gro", ("Potting Mix", "Garden Soil for Flowers & Vegetables"), ("1 cu ft", "2 cu ft")),
            G("Miracle-Gro", ("Water Soluble All Purpose Plant Food 1.5 lb",)),
            G("Fiskars", ("Bypass Pruning Shears", "Steel Garden Trowel", "Xtract Pruning Saw 10 in")),
            G("Black Gold", ("Natural & Organic Potting Soil 1.5 cu ft",)),
            G(
                "Dr. Earth",
                ("Home Grown Tomato, Vegetable & Herb Fertilizer 4 lb", "Organic All Purpose Fertilizer 4 lb"),
            ),
        ),
        variant_step=1.7,
    ),
    C(
        "Garden > Watering",
        "hardware",
        (999, 3999),
        "{brand} {line} to keep the garden watered through dry Portland summers.",
        (
            G("Gilmour", ("Flexogen Super Duty Garden Hose 5/8 in",), ("50 ft", "75 ft")),
            G("Gilmour", ("Pistol Grip Hose Nozzle",), price=(699, 1299)),
            G(
                "Melnor",
                ("Oscillating Sprinkler with QuickConnect", "8-Pattern Metal Hose Nozzle", "Digital Water Timer"),
            ),
            G("Orbit", ("Single-Outlet Hose Faucet Timer", "Impact Sprinkler on Spike")),
            G("Flexzilla", ("Garden Hose 5/8 in",), ("50 ft", "100 ft")),
        ),
        variant_step=1.5,
    ),
)

HOME: tuple[C, ...] = (
    C(
        "Home > Cookware",
        "home",
        (2499, 7999),
        "{brand} {line}, made for everyday home cooking.",
        (
            G("Lodge", ("Cast Iron Skillet",), ("8 in", "10.25 in", "12 in"), price=(1499, 1999)),
            G("Lodge", ("Enameled Cast Iron Dutch Oven 6 qt",)),
            G("All-Clad", ("D3 Stainless Fry Pan 10 in",), price=(8999, 11999)),
            G("Calphalon", ("Classic Nonstick Fry Pan Set 2-Piece", "Classic Stainless Steel Saucepan 2.5 qt")),
            G("T-fal", ("Ultimate Hard Anodized Nonstick Fry Pan 12 in", "Signature Nonstick Cookware Set 12-Piece")),
            G("Pyrex", ("Basics Glass Baking Dish 3 qt", "Glass Measuring Cup 2 Cup"), price=(999, 1599)),
            G("Nordic Ware", ("Naturals Half Sheet Pan", "Anniversary Bundt Pan 10 Cup"), price=(1399, 3499)),
        ),
        variant_step=1.35,
    ),
    C(
        "Home > Kitchen Tools",
        "home",
        (899, 2999),
        "{brand} {line}, a well-made kitchen essential.",
        (
            G(
                "OXO",
                (
                    "Good Grips Swivel Peeler",
                    "Good Grips Salad Spinner",
                    "Good Grips Smooth Edge Can Opener",
                    "Good Grips 3-Piece Silicone Spatula Set",
                ),
            ),
            G("Zwilling", ("Pro Chef's Knife 8 in", "Four Star Paring Knife 4 in"), price=(4999, 12999)),
            G("Victorinox", ("Fibrox Pro Chef's Knife 8 in", "Swiss Classic Paring Knife Set 3-Piece")),
            G("KitchenAid", ("Classic Multi-Purpose Kitchen Shears", "Gourmet Stainless Steel Box Grater")),
            G("Chemex", ("Six Cup Classic Pour-Over Coffeemaker", "Bonded Coffee Filters Square 100-Count")),
            G("Bodum", ("Chambord French Press 34 oz",)),
        ),
    ),
    C(
        "Home > Food Storage",
        "home",
        (399, 1999),
        "{brand} {line} to keep leftovers and lunches fresh.",
        (
            G(
                "Rubbermaid",
                ("Brilliance Food Storage Containers",),
                ("10-Piece Set", "22-Piece Set"),
                price=(1999, 2999),
            ),
            G("Ziploc", ("Storage Bags Gallon 38-Count", "Freezer Bags Quart 54-Count", "Sandwich Bags 90-Count")),
            G("Glad", ("ClingWrap Plastic Wrap 300 sq ft", "ForceFlex Tall Kitchen Trash Bags 13 gal 40-Count")),
            G("Reynolds", ("Wrap Aluminum Foil 75 sq ft", "Kitchens Parchment Paper 45 sq ft")),
            G("Pyrex", ("Simply Store Glass Food Storage Set 18-Piece",), price=(2999, 3999)),
            G("Stasher", ("Reusable Silicone Sandwich Bag", "Reusable Silicone Stand-Up Bag"), price=(1199, 1999)),
        ),
        variant_step=1.6,
    ),
    C(
        "Home > Cleaning",
        "home",
        (399, 1499),
        "{brand} {line} for a cleaner home.",
        (
            G(
                "Method",
                (
                    "All-Purpose Cleaner Pink Grapefruit 28 oz",
                    "Daily Shower Spray Eucalyptus Mint 28 oz",
                    "Gel Hand Soap Sea Minerals 12 oz",
                ),
            ),
            G("Seventh Generation", ("Dish Liquid Free & Clear 19 oz", "Laundry Detergent Free & Clear 45 oz")),
            G("Clorox", ("Disinfecting Wipes Fresh Scent 75-Count", "Clean-Up Cleaner + Bleach 32 oz")),
            G("Mrs. Meyer's Clean Day", ("Dish Soap Lemon Verbena 16 oz", "Multi-Surface Cleaner Basil 16 oz")),
            G("Scotch-Brite", ("Heavy Duty Scrub Sponges 6-Pack", "Non-Scratch Scrub Sponges 3-Pack")),
            G("Swiffer", ("Sweeper Dry Sweeping Cloths 32-Count", "WetJet Mopping Pad Refills 24-Count")),
            G("Tide", ("Original Liquid Laundry Detergent 46 oz", "PODS Laundry Detergent Spring Meadow 42-Count")),
            G("Dawn", ("Ultra Dish Soap Original 19.4 oz",)),
        ),
    ),
    C(
        "Home > Paper & Household",
        "home",
        (499, 1999),
        "{brand} {line} household paper goods.",
        (
            G("Bounty", ("Select-A-Size Paper Towels",), ("6 Double Rolls", "12 Double Rolls")),
            G("Charmin", ("Ultra Soft Toilet Paper",), ("12 Mega Rolls", "18 Mega Rolls")),
            G("Kleenex", ("Ultra Soft Facial Tissues 3-Pack",)),
            G("Seventh Generation", ("100% Recycled Paper Towels 6-Pack",)),
            G("Scott", ("1000 Toilet Paper 12 Rolls",)),
        ),
        variant_step=1.6,
    ),
    C(
        "Home > Decor & Bedding",
        "home",
        (2999, 9999),
        "{brand} {line} to make the house feel like home.",
        (
            G(
                "Pendleton",
                ("Glacier National Park Wool Throw", "Crater Lake National Park Wool Throw", "Jacquard Bath Towel"),
                price=(4999, 18999),
            ),
            G("Yankee Candle", ("Balsam & Cedar Large Jar Candle", "Clean Cotton Large Jar Candle")),
            G("Brooklinen", ("Classic Percale Sheet Set Queen",)),
            G("Umbra", ("Trigg Wall Planter", "Hub Round Wall Mirror 24 in")),
        ),
    ),
    C(
        "Home > Tableware",
        "home",
        (1499, 4999),
        "{brand} {line} for everyday meals and entertaining.",
        (
            G("Libbey", ("Classic Drinking Glasses 16 oz 8-Piece", "All-Purpose Wine Glasses 4-Piece")),
            G("Corelle", ("Winter Frost White Dinnerware Set 16-Piece", "Winter Frost White Bowls 6-Piece")),
            G("Fiesta", ("Dinner Plate", "Large Bistro Mug"), ("Lapis", "Scarlet", "Sunflower"), price=(1299, 1999)),
        ),
        variant_step=1.0,
    ),
)

CATEGORIES: tuple[C, ...] = HARDWARE + HOME
